using TinySync.Reliability.Tests.Harness;
using Xunit.Abstractions;

namespace TinySync.Reliability.Tests;

/// <summary>
/// Every seed that once broke an invariant, replayed on every run (docs/reliability.md lists symptom, cause and fix).
/// </summary>
public sealed class RegressionTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData(5)]  // a chunk download reset mid-body threw HttpRequestException out of the sync cycle
    [InlineData(52)] // a folder with a new file inside, replaced by a file elsewhere: parent_missing forever
    public async Task Seed_that_once_failed_now_keeps_every_invariant(int seed)
    {
        var r = await Scenario.RunAsync(seed, fixture.Host);
        output.WriteLine(r.Report());
        Assert.True(r.Ok, r.Report());
    }
}
