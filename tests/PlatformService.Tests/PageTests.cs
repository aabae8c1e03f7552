using Microsoft.Playwright;
using PlatformService.Tests.Support;
using TinySync.Server.Tests.Support;

namespace PlatformService.Tests;

/// <summary>The page in a real headless Chromium (Debian's, not a Playwright download).</summary>
public sealed class PageTests
{
    static string Chromium => Environment.GetEnvironmentVariable("TINYSYNC_TEST_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    [Fact]
    public async Task Page_fires_an_event_with_a_click_and_shows_the_call_in_the_log()
    {
        File.Exists(Chromium).ShouldBeTrue($"no Chromium at {Chromium}: run scripts/test-env.sh (chromium_up) or apt-get install -y chromium");
        await using var server = await TestServer.StartAsync(s => s["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false");
        await using var pg = await Playground.StartAsync(server.BaseAddress, server.AdminToken);
        var credential = await pg.CreateUserAsync("ada");
        await pg.CreateWorkspaceAsync("acme");
        var (_, token, _) = await pg.SetUpDriveAsync("ada", credential);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1100 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        await page.GotoAsync(pg.BaseAddress.AbsoluteUri);
        await Assertions.Expect(page.Locator("#users")).ToContainTextAsync("ada");

        await page.FillAsync("#ev-user", "ada");
        await page.FillAsync("#ev-workspace", "acme");
        await page.ClickAsync("#fire-user-joined_workspace");

        await Assertions.Expect(page.Locator("#event-result")).ToContainTextAsync("\"status\":\"applied\"");
        errors.ShouldBeEmpty(string.Join("\n", errors));
        var call = page.Locator("#calls tr", new PageLocatorOptions { HasText = "PUT /v1/groups/pg:ws:acme/devices/" });
        await Assertions.Expect(call).ToHaveCountAsync(1);
        await Assertions.Expect(call).ToContainTextAsync("200");
        await Assertions.Expect(page.Locator("#workspaces")).ToContainTextAsync("ada");

        await page.ClickAsync("#reconcile");
        await Assertions.Expect(page.Locator("#reconcile-result")).ToContainTextAsync("\"repairs\":[]");
        await page.ClickAsync("#load-tinysync");
        await Assertions.Expect(page.Locator("#ts-groups")).ToContainTextAsync("pg:ws:acme");

        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        var shot = Path.Combine(shots, "playground.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        new FileInfo(shot).Length.ShouldBeGreaterThan(10_000);

        errors.ShouldBeEmpty(string.Join("\n", errors));
        var html = await page.ContentAsync();
        html.ShouldNotContain(token[^43..]);
        html.ShouldNotContain(server.AdminToken);
        html.ShouldNotContain(credential);
    }
}
