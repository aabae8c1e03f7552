using System.Text.Json;
using Microsoft.Playwright;

namespace PlatformService.Tests.Support;

/// <summary>Debian's headless Chromium through Playwright (never a Playwright browser download), and pixel checks done in it.</summary>
public sealed class Browser : IAsyncDisposable
{
    static string Chromium => Environment.GetEnvironmentVariable("TINYSYNC_TEST_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    IPlaywright _playwright = null!;
    IBrowser _browser = null!;

    /// <summary>The page under test; <see cref="Errors"/> collects its script errors.</summary>
    public IPage Page { get; private set; } = null!;
    public List<string> Errors { get; } = [];

    public static async Task<Browser> OpenAsync(Uri url, int width = 1280, int height = 800)
    {
        File.Exists(Chromium).ShouldBeTrue($"no Chromium at {Chromium}: run scripts/test-env.sh (chromium_up) or apt-get install -y chromium");
        // A loaded 2-core CI machine can take longer than Playwright's 5 s default to refresh the page.
        Assertions.SetDefaultExpectTimeout(30_000);
        var b = new Browser { _playwright = await Playwright.CreateAsync() };
        b._browser = await b._playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        b.Page = await b._browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, DeviceScaleFactor = 1 });
        b.Page.PageError += (_, e) => b.Errors.Add(e);
        b.Page.Console += (_, m) => { if (m.Type == "error") b.Errors.Add(m.Text); };
        await b.Page.GotoAsync(url.AbsoluteUri);
        return b;
    }

    /// <summary>How two screenshots of the same viewport differ inside and outside a box, and how much "ink" the box holds in the first.</summary>
    /// <param name="InsideChanged">Fraction of the box's pixels that differ between the shots.</param>
    /// <param name="OutsideChanged">Fraction of the pixels outside the box that differ.</param>
    /// <param name="Ink">Fraction of the box's pixels in the first shot far (in luminance) from the box's most common color: rendered glyphs.</param>
    public sealed record RegionDiff(double InsideChanged, double OutsideChanged, double Ink);

    /// <summary>Decodes both PNGs in a blank tab of the same browser (its canvas is the PNG decoder) and compares them.</summary>
    public async Task<RegionDiff> CompareAsync(byte[] first, byte[] second, LocatorBoundingBoxResult box)
    {
        var tab = await _browser.NewPageAsync();
        try
        {
            var json = await tab.EvaluateAsync<JsonElement>("""
                async ([a, b, x, y, w, h]) => {
                  const decode = async b64 => {
                    const img = new Image(); img.src = "data:image/png;base64," + b64; await img.decode();
                    const c = document.createElement("canvas"); c.width = img.width; c.height = img.height;
                    const g = c.getContext("2d"); g.drawImage(img, 0, 0);
                    return g.getImageData(0, 0, img.width, img.height);
                  };
                  const A = await decode(a), B = await decode(b);
                  if (A.width !== B.width || A.height !== B.height) throw new Error("screenshots of different sizes");
                  const lum = (d, i) => 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
                  const inBox = (px, py) => px >= x && px < x + w && py >= y && py < y + h;
                  let inside = 0, insideChanged = 0, outside = 0, outsideChanged = 0;
                  const counts = new Map();
                  for (let py = 0; py < A.height; py++) for (let px = 0; px < A.width; px++) {
                    const i = (py * A.width + px) * 4;
                    const changed = A.data[i] !== B.data[i] || A.data[i + 1] !== B.data[i + 1] || A.data[i + 2] !== B.data[i + 2];
                    if (inBox(px, py)) { inside++; if (changed) insideChanged++; const l = Math.round(lum(A.data, i)); counts.set(l, (counts.get(l) || 0) + 1); }
                    else { outside++; if (changed) outsideChanged++; }
                  }
                  const background = [...counts.entries()].sort((p, q) => q[1] - p[1])[0][0];
                  let ink = 0;
                  for (const [l, n] of counts) if (Math.abs(l - background) > 80) ink += n;
                  return { inside: insideChanged / inside, outside: outsideChanged / Math.max(outside, 1), ink: ink / inside };
                }
                """, new object[] { Convert.ToBase64String(first), Convert.ToBase64String(second),
                    (int)Math.Ceiling(box.X), (int)Math.Ceiling(box.Y), (int)Math.Floor(box.Width), (int)Math.Floor(box.Height) });
            return new RegionDiff(json.GetProperty("inside").GetDouble(), json.GetProperty("outside").GetDouble(), json.GetProperty("ink").GetDouble());
        }
        finally
        {
            await tab.CloseAsync();
        }
    }

    /// <summary>Elements whose content is wider than their box (text or a table spilling out of a panel).</summary>
    public Task<string[]> OverflowingAsync(string selector) =>
        Page.EvaluateAsync<string[]>("""
            sel => [...document.querySelectorAll(sel)].filter(e => e.scrollWidth > e.clientWidth + 1)
                     .map(e => (e.id || e.tagName) + ": " + e.scrollWidth + " > " + e.clientWidth)
            """, selector);

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
