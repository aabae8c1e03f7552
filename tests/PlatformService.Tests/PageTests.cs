using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using PlatformService.Tests.Support;

namespace PlatformService.Tests;

/// <summary>The page in a real headless Chromium (Debian's, not a Playwright download), driven like a person would.</summary>
public sealed partial class PageTests
{
    [Fact]
    public async Task Page_walks_from_a_new_user_to_a_login_line_that_the_real_cli_accepts_and_shows_it_on_screen()
    {
        await using var server = await TestServer.StartAsync(s => s["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false");
        await using var pg = await Playground.StartAsync(server.BaseAddress, server.AdminToken);
        await using var browser = await Browser.OpenAsync(pg.BaseAddress);
        var page = browser.Page;

        await page.FillAsync("#new-user-id", "ada");
        await page.FillAsync("#new-user-name", "Ada");
        await page.ClickAsync("#create-user");
        await Assertions.Expect(page.Locator("#create-result table")).ToContainTextAsync("credential");
        var credential = await page.Locator("#create-result td", new() { HasTextRegex = CredentialPattern() }).InnerTextAsync();
        await page.FillAsync("#new-ws-id", "acme");
        await page.ClickAsync("#create-workspace");
        await Assertions.Expect(page.Locator("#create-result")).ToContainTextAsync("pg:ws:acme");

        // Create filled in the event's user and workspace.
        await page.ClickAsync("#fire-user-joined_workspace");
        await Assertions.Expect(page.Locator("#event-result .headline")).ToHaveTextAsync("200 applied");
        await Assertions.Expect(page.Locator("#event-result table")).ToContainTextAsync("event_id");

        // Set up Drive with a device name; the answer ends with the line to type on the user's computer.
        await page.FillAsync("#drive-credential", credential);
        await page.FillAsync("#drive-name", "Ada's laptop");
        await page.ClickAsync("#drive-setup");
        var login = page.Locator("#login-line");
        await Assertions.Expect(login).ToBeInViewportAsync(new() { Ratio = 1 });
        var line = await login.InnerTextAsync();
        var serverUrl = server.BaseAddress.AbsoluteUri.TrimEnd('/');
        line.ShouldMatch($"^printf %s tsdev_[0-9a-f-]{{36}}_[A-Za-z0-9_-]+ \\| tinysync login --server {Regex.Escape(serverUrl)} --token-file -$");
        await Assertions.Expect(page.Locator("#drive-result table")).ToContainTextAsync("Ada's laptop");
        (await page.Locator("#drive-result table").InnerTextAsync()).ShouldNotContain("tsdev_", customMessage: "the token is in the login line only");

        // The screenshot: the login line is what the viewport shows at its place. Hiding just that element changes
        // (nearly) every pixel of its box and nothing else, and the box holds rendered text, not a blank or solid block.
        var shown = await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath("playground-login.png") });
        var box = (await login.BoundingBoxAsync())!;
        await login.EvaluateAsync("e => e.style.visibility = 'hidden'");
        var hidden = await page.ScreenshotAsync();
        await login.EvaluateAsync("e => e.style.visibility = ''");
        var diff = await browser.CompareAsync(shown, hidden, box);
        diff.InsideChanged.ShouldBeGreaterThan(0.9, $"the login line's box in the screenshot is the line itself ({diff})");
        diff.OutsideChanged.ShouldBeLessThan(0.005, $"nothing else on screen depends on it ({diff})");
        diff.Ink.ShouldBeInRange(0.03, 0.6, $"the box shows text ({diff})");

        // The line works as shown: the real CLI, run by a shell, adopts the token.
        using var dir = new TempDir("tinysync-page-login");
        var (code, output) = await RunInShellAsync(line, dir.Sub("home"), dir.Sub("bin"));
        code.ShouldBe(0, output);
        output.ShouldContain("logged in as device 'Ada's laptop'");
        output.ShouldContain("1 vault(s) reachable");

        // A second device without a name is not another "Drive of Ada".
        await page.FillAsync("#drive-credential", credential);
        await page.FillAsync("#drive-name", "");
        await page.ClickAsync("#drive-setup");
        await Assertions.Expect(page.Locator("#devices")).ToContainTextAsync("Drive of Ada");
        await Assertions.Expect(page.Locator("#devices")).ToContainTextAsync("Ada's laptop");

        await page.ClickAsync("#reconcile");
        await Assertions.Expect(page.Locator("#reconcile-result .headline")).ToContainTextAsync("nothing to repair");
        await page.ClickAsync("#load-tinysync");
        await Assertions.Expect(page.Locator("#ts-groups")).ToContainTextAsync("pg:ws:acme");
        var call = page.Locator("#calls tr", new() { HasText = "PUT /v1/groups/pg:ws:acme/devices/" });
        await Assertions.Expect(call.First).ToContainTextAsync("200");

        // Readable: no JSON text in the result panels, nothing wider than its panel, times to the second.
        foreach (var panel in await page.Locator(".result").AllInnerTextsAsync())
            panel.ShouldNotMatch("[{\\[]\\s*\"", "a result panel shows raw JSON");
        (await browser.OverflowingAsync("section, .result, td")).ShouldBeEmpty();
        var text = await page.InnerTextAsync("main");
        text.ShouldMatch(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d");
        text.ShouldNotMatch(@"\d\d:\d\d:\d\d\.\d", "times are shown to the second");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath("playground.png"), FullPage = true });
        browser.Errors.ShouldBeEmpty(string.Join("\n", browser.Errors));

        // Reloaded, the page holds no secret: the credential and the token were shown once, in the answers.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#devices")).ToContainTextAsync("Ada's laptop");
        var html = await page.ContentAsync() + await page.InnerTextAsync("body");
        html.ShouldNotContain(Regex.Match(line, @"tsdev_\S+").Value);
        html.ShouldNotContain(server.AdminToken);
        html.ShouldNotContain(credential);
    }

    [Fact]
    public async Task Page_pages_through_a_call_log_that_an_outage_filled_beyond_its_bound()
    {
        using var dir = new TempDir("tinysync-page-outage");
        await using var server = new ServerProcess(dir.Sub("data"), new() { ["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false" });
        await server.StartAsync();
        await using var pg = await Playground.StartAsync(server.BaseAddress, TestServer.AdminTokenValue, "--PLATFORM_CALL_LOG_MAX=40", CallLogTests.NoBackgroundRetry);
        var lastSeq = await CallLogTests.FillDuringOutageAsync(pg, server, events: 20);

        await using var browser = await Browser.OpenAsync(pg.BaseAddress);
        var page = browser.Page;
        var caption = page.Locator("#calls-caption");
        await Assertions.Expect(caption).ToContainTextAsync($"calls #{lastSeq}–#{lastSeq - 24}, newest first; 40 kept (at most 40), {lastSeq - 40} older dropped");
        await Assertions.Expect(page.Locator("#calls tr")).ToHaveCountAsync(1 + 25);
        await Assertions.Expect(page.Locator("#calls-newer")).ToBeDisabledAsync();

        await page.ClickAsync("#calls-older");
        await Assertions.Expect(caption).ToContainTextAsync($"calls #{lastSeq - 25}–#{lastSeq - 39}");
        await Assertions.Expect(page.Locator("#calls tr")).ToHaveCountAsync(1 + 15);
        await Assertions.Expect(page.Locator("#calls-older")).ToBeDisabledAsync();
        await Assertions.Expect(page.Locator("#calls tr", new() { HasText = "no answer" }).First).ToBeVisibleAsync();

        await page.ClickAsync("#calls-newer");
        await Assertions.Expect(caption).ToContainTextAsync($"calls #{lastSeq}–#{lastSeq - 24}");
        (await browser.OverflowingAsync("section, td")).ShouldBeEmpty();
        browser.Errors.ShouldBeEmpty(string.Join("\n", browser.Errors));
    }

    static string ScreenshotPath(string name)
    {
        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        return Path.Combine(shots, name);
    }

    /// <summary>Runs a command line in bash as the user would type it, with `tinysync` on the PATH being the real CLI.</summary>
    static async Task<(int Code, string Output)> RunInShellAsync(string line, string home, string bin)
    {
        Directory.CreateDirectory(bin);
        var shim = Path.Combine(bin, "tinysync");
        await File.WriteAllTextAsync(shim, $"#!/bin/sh\nexec dotnet '{CliProcess.Dll}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(line);
        psi.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["TINYSYNC_HOME"] = home;
        psi.Environment.Remove("TINYSYNC_ADMIN_TOKEN");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex("^psu_")]
    private static partial Regex CredentialPattern();
}
