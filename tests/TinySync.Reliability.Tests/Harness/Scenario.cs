using System.Diagnostics;
using System.Text;
using TinySync.Client.Api;
using TinySync.Client.Engine;
using TinySync.Client.FileSystem;
using TinySync.Client.State;
using TinySync.Core.Contracts;

namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// Variations of the world that change what every seed does, so they are chosen per run, not per seed:
/// same-size in-place rewrites among the user's operations, and a file system whose modification times are coarse
/// (rounded down to <c>CoarseMtimeMs</c>, like FAT's 2 s or HFS+'s 1 s). From <c>TINYSYNC_SAME_SIZE_REWRITES=1</c>
/// and <c>TINYSYNC_COARSE_MTIME_MS=N</c>.
/// </summary>
public sealed record ScenarioOptions(bool SameSizeRewrites = false, long CoarseMtimeMs = 0, bool RealTools = false, bool Symlinks = false,
    bool Selections = false)
{
    /// <summary>The world before issue 13 (how the older regression seeds were found; they replay it exactly).</summary>
    public static readonly ScenarioOptions Default = new();

    /// <summary>With the user operations of real tools (atomic saves, checkouts, case flips through new inodes, chmod).</summary>
    public static readonly ScenarioOptions RealWorld = new(RealTools: true);

    /// <summary>Real tools' operations and symbolic links (folders and files replaced by links to outside, new links,
    /// loops; decision 0720).</summary>
    public static readonly ScenarioOptions RealWorldWithLinks = new(RealTools: true, Symlinks: true);

    /// <summary>The coarse-clock world: 1 s timestamps and same-size rewrites.</summary>
    public static readonly ScenarioOptions CoarseClock = new(SameSizeRewrites: true, CoarseMtimeMs: 1000);

    /// <summary>From the environment; real tools' operations are on unless <c>TINYSYNC_REAL_TOOLS=0</c>, symbolic links
    /// unless <c>TINYSYNC_SYMLINKS=0</c>, a selective device in a third of the seeds unless <c>TINYSYNC_SELECTION=0</c>
    /// (<see cref="SelectionWatch"/>).</summary>
    public static ScenarioOptions FromEnvironment() => new(
        Environment.GetEnvironmentVariable("TINYSYNC_SAME_SIZE_REWRITES") == "1",
        long.TryParse(Environment.GetEnvironmentVariable("TINYSYNC_COARSE_MTIME_MS"), out var ms) ? ms : 0,
        Environment.GetEnvironmentVariable("TINYSYNC_REAL_TOOLS") != "0",
        Environment.GetEnvironmentVariable("TINYSYNC_SYMLINKS") != "0",
        Environment.GetEnvironmentVariable("TINYSYNC_SELECTION") != "0");

    public string EnvPrefix => (SameSizeRewrites ? "TINYSYNC_SAME_SIZE_REWRITES=1 " : "") + (CoarseMtimeMs > 0 ? $"TINYSYNC_COARSE_MTIME_MS={CoarseMtimeMs} " : "")
        + (RealTools ? "" : "TINYSYNC_REAL_TOOLS=0 ") + (Symlinks ? "" : "TINYSYNC_SYMLINKS=0 ") + (Selections ? "" : "TINYSYNC_SELECTION=0 ");

    public override string ToString() => (SameSizeRewrites ? " +same-size-rewrites" : "") + (CoarseMtimeMs > 0 ? $" +mtime-{CoarseMtimeMs}ms" : "")
        + (RealTools ? " +real-tools" : "") + (Symlinks ? " +symlinks" : "") + (Selections ? " +selection" : "");
}

/// <summary>The outcome of one scenario: its seed and profile, the numbered steps, the violations, the faults injected.</summary>
public sealed record ScenarioResult(int Seed, FaultProfile Profile, IReadOnlyList<string> Steps, IReadOnlyList<string> Violations,
    FaultCounts Faults, int Cycles, TimeSpan Elapsed)
{
    public bool Ok => Violations.Count == 0;

    public ScenarioOptions Options { get; init; } = ScenarioOptions.Default;

    /// <summary>The selective device and what it holds ("C: only d2"), or null when every device holds everything.</summary>
    public string? Selection { get; init; }

    /// <summary>Everything needed to reproduce a failure: seed, profile, violations, the steps, the replay command.</summary>
    public string Report()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"scenario seed={Seed} profile={Profile}{Options} ({Cycles} sync cycles, {Elapsed.TotalSeconds:0.0} s)"
            + (Selection is null ? "" : $"; selective device {Selection}"));
        sb.AppendLine($"replay: {Options.EnvPrefix}TINYSYNC_SEED={Seed} dotnet test tests/TinySync.Reliability.Tests -c Release --filter Seeded_scenarios_keep");
        foreach (var v in Violations) sb.AppendLine("VIOLATION: " + v);
        sb.AppendLine("faults: " + (Faults.Total == 0 ? "none" : Faults.ToString()));
        sb.AppendLine("steps:");
        foreach (var s in Steps) sb.AppendLine("  " + s);
        return sb.ToString();
    }
}

/// <summary>
/// One seeded scenario: three devices on one vault, random user operations interleaved with sync cycles of random
/// devices, devices offline for a while, faults from the seed's profile; then all devices online, faults off, sync until
/// quiet, and the invariants. Everything but thread timing follows from the seed: the harness runs one step at a time.
/// </summary>
public sealed class Scenario
{
    /// <summary>Final phase: passes over all devices before "not converged" is a violation.</summary>
    public const int MaxQuietPasses = 10;

    static readonly RetryPolicy FaultyRetry = new(6, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(80));
    static readonly RetryPolicy CleanRetry = new(8, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(500));

    readonly ScenarioOptions _options;
    readonly int _seed;
    readonly ServerHost _server;
    readonly FaultProfile _profile;
    readonly Random _rng;
    readonly Ledger _ledger = new();
    readonly List<string> _steps = [];
    readonly List<string> _violations = [];
    readonly FaultCounts _faults = new();
    readonly List<SimDevice> _devices = [];
    readonly UserOps _midCycleOps;
    readonly Lock _midCycleLock = new();
    readonly ConflictWitness _witness = new();
    int _cycles;
    Guid _vault;
    SelectionWatch? _selective;

    Scenario(int seed, ServerHost server, FaultProfile? profile, ScenarioOptions? options)
    {
        _options = options ?? ScenarioOptions.FromEnvironment();
        _seed = seed;
        _server = server;
        _profile = profile ?? FaultProfile.For(seed);
        _rng = new Random(seed);
        // its own stream, so scenarios without mid-cycle edits draw exactly what they drew before these existed
        _midCycleOps = new UserOps(new Random(unchecked(seed * 31 + 7)), _ledger, realTools: _options.RealTools, symlinks: _options.Symlinks);
    }

    public static async Task<ScenarioResult> RunAsync(int seed, ServerHost server, FaultProfile? profile = null, ScenarioOptions? options = null)
    {
        var s = new Scenario(seed, server, profile, options);
        var sw = Stopwatch.StartNew();
        using var dir = new TempDir($"tinysync-rel-{seed}");
        try
        {
            await s.RunCoreAsync(dir.Path);
        }
        catch (Exception e)
        {
            s._violations.Add($"the harness itself failed: {e}");
        }
        finally
        {
            foreach (var d in s._devices) d.Dispose();
        }
        return new ScenarioResult(seed, s._profile, s._steps, s._violations, s._faults, s._cycles, sw.Elapsed)
        {
            Options = s._options,
            Selection = s._selective is { } w ? $"{w.Device.Name}: {w.Selection}" : null,
        };
    }

    void Step(string text)
    {
        lock (_steps) _steps.Add($"{_steps.Count + 1,3}. {text}");
        TraceFile.Write($"{_steps.Count,3}. {text}");
    }

    async Task RunCoreAsync(string root)
    {
        _vault = (await _server.Server.CreateVaultAsync($"rel-{_seed}")).VaultId;
        foreach (var (name, i) in new[] { "A", "B", "C" }.Select((n, i) => (n, i)))
        {
            var d = new SimDevice(i, name, root);
            var reg = await _server.Server.RegisterAsync("dev" + name);
            await _server.Server.GrantAsync(reg.DeviceId, _vault);
            d.Identity = new ClientIdentity { Server = _server.Url, DeviceId = reg.DeviceId, Token = reg.Token, DisplayName = "dev" + name };
            d.State.SaveIdentity(d.Identity);
            d.Link = d.State.AddLink(_vault, null, "default", d.Folder);
            d.Conflict = text => OnConflict(d, text);
            _devices.Add(d);
        }
        _selective = SelectionWatch.For(_seed, _options, _devices);
        if (_selective is not null) Step($"{_selective.Device.Name}: selects {_selective.Selection}");
        var ops = new UserOps(_rng, _ledger, _options.SameSizeRewrites, _options.RealTools, _options.Symlinks);
        var steps = _rng.Next(20, 41);
        for (var i = 0; i < steps; i++)
        {
            var r = _rng.NextDouble();
            if (r < _profile.RestartStep)
            {
                _faults.Add("server_restart_between_cycles");
                Step("server restarts");
                await _server.RestartAsync();
            }
            else if (r < 0.52)
            {
                var d = _devices[_rng.Next(3)];
                var what = ops.Apply(d);
                if (what is not null) Step($"{d.Name}: {what}");
                lock (_midCycleLock) _witness.Changed(d.Index, ops.Touched);
                _selective?.UserTouched(d, ops.Touched);
            }
            else if (r < 0.92)
            {
                // a sync cycle; a duplicated, early or late wake hint is just one more (or one earlier) cycle like this
                var d = _devices[_rng.Next(3)];
                if (d.Offline && _rng.Next(4) != 0) continue;
                await CycleAsync(d, faults: true);
            }
            else
            {
                var d = _devices[_rng.Next(3)];
                if (!d.Offline && _devices.Count(x => x.Offline) >= 2) continue;
                d.Offline = !d.Offline;
                Step($"{d.Name}: goes {(d.Offline ? "offline" : "online")}");
            }
        }

        // The users undo their symbolic links (the outside targets checked once more), so convergence is checked as usual.
        foreach (var d in _devices)
        {
            foreach (var v in d.Links.Check(d.Name)) _violations.Add(v);
            foreach (var l in d.Links.All.ToList())
            {
                _witness.Changed(d.Index, [l.Path]); // the link's path changes here (see UserOps.Undo)
                Step($"{d.Name}: {d.Links.Undo(l)}");
            }
        }

        // Quiet: everyone online, no faults, sync until a whole pass converges and the log head stays put.
        foreach (var d in _devices) d.Offline = false;
        Step("all devices online, faults off");
        var quiet = false;
        for (var pass = 1; pass <= MaxQuietPasses && !quiet; pass++)
        {
            var before = await HeadAsync();
            var all = true;
            foreach (var d in _devices) all &= await CycleAsync(d, faults: false) is { Converged: true };
            quiet = all && await HeadAsync() == before;
        }
        if (!quiet)
        {
            _violations.Add($"termination: not quiet after {MaxQuietPasses} passes over all devices ({string.Join(" | ", _devices.Select(d => d.Name + ": " + string.Join("; ", d.RecentMessages.TakeLast(3))))})");
        }
        await CheckFinalInvariantsAsync();
        foreach (var d in _devices) _faults.AddAll(d.Links.Made);
        if (TraceFile.On) await TraceLogAsync();
    }

    /// <summary>The server's whole log, into the trace file.</summary>
    async Task TraceLogAsync()
    {
        using var api = CleanApi();
        for (long after = 0; ;)
        {
            var page = await api.GetLogAsync(_vault, after, 1000, CancellationToken.None);
            foreach (var e in page.Entries)
            {
                var who = _devices.FirstOrDefault(d => d.Identity.DeviceId == e.DeviceId)?.Name ?? "?";
                TraceFile.Write($"log {e.Seq}: {who} {e.Kind} {e.Path}{(e.NewPath is null ? "" : " -> " + e.NewPath)}{(e.Size is { } n ? $" ({n} B)" : "")}");
            }
            if (!page.HasMore || page.Entries.Count == 0) break;
            after = page.Entries[^1].Seq;
        }
    }

    DeviceApiClient CleanApi() => new(_server.Url, _devices[0].Identity.Token, CleanRetry);

    async Task<long> HeadAsync()
    {
        using var api = CleanApi();
        return (await api.GetLogAsync(_vault, 0, 1, CancellationToken.None)).Head;
    }

    /// <summary>One sync cycle of a fresh engine "process" over the device's persisted state.</summary>
    async Task<LinkResult?> CycleAsync(SimDevice d, bool faults)
    {
        _cycles++;
        var dice = faults ? new FaultDice(_seed, d.Index, _cycles) : null;
        var crash = new CrashSwitch();
        void UserEdit()
        {
            lock (_midCycleLock)
            {
                var what = _midCycleOps.Apply(d);
                _witness.Changed(d.Index, _midCycleOps.Touched);
                _selective?.UserTouched(d, _midCycleOps.Touched);
                if (what is null) return;
                _faults.Add("user_edit_mid_cycle");
                Step($"{d.Name}: {what} (while {d.Name}'s sync runs)");
            }
        }
        var handler = new FaultyHandler(d.Sockets, _profile, dice, _faults, d.LogPages, _server.RestartAsync, crash, d.Cursor, UserEdit) { Offline = d.Offline };
        var disk = new FaultyDisk(RealFileSystem.Instance, d.Folder, _profile, dice, _faults, crash, UserEdit) { CoarseMtimeNs = _options.CoarseMtimeMs * 1_000_000 };
        using var api = new DeviceApiClient(_server.Url, d.Identity.Token, faults ? FaultyRetry : CleanRetry, handler);
        LinkResult? result = null;
        string outcome;
        long started;
        List<LinkRecord> watched;
        lock (_midCycleLock) watched = d.Links.CycleStarts();
        var headBefore = watched.Count > 0 ? await HeadAsync() : 0;
        var staleBefore = _faults.Snapshot().GetValueOrDefault("stale_log_page");
        lock (_midCycleLock) started = _witness.CycleStarts();
        try
        {
            using var engine = new LinkSync(d.Link, d.State.LinkStateDirectory(d.Link), api, d.Identity.DisplayName, disk, d.Observer);
            result = await engine.SyncAsync(12);
            outcome = result.Converged ? $"converged in {result.Rounds} round(s)" : $"not converged ({string.Join("; ", result.Pending.Take(3))})";
        }
        catch (Exception) when (crash.IsDead)
        {
            outcome = $"client killed at {crash.Where}";
        }
        catch (ClientException e)
        {
            outcome = $"aborted: {e.Code}";
        }
        catch (Exception e)
        {
            outcome = $"threw {e.GetType().Name}: {e.Message}";
            _violations.Add($"robustness: a sync cycle of {d.Name} threw {e.GetType().Name} (not a ClientException): {e.Message}");
        }
        // a cycle served a stale log page (a proxy's old answer) may report "converged" from a view behind the server's:
        // it proves nothing about what the device has seen
        var stale = _faults.Snapshot().GetValueOrDefault("stale_log_page") > staleBefore;
        lock (_midCycleLock) _witness.CycleEnded(d.Index, started, result?.Converged == true && !stale);
        Step($"{d.Name}: sync{(faults ? "" : " (clean)")}{(d.Offline ? " while offline" : "")} -> {outcome}");
        foreach (var back in d.Cursor.Drain()) _violations.Add($"log replay: {d.Name}'s {back} (step {_steps.Count})");
        CheckNoTornFile(d);
        if (watched.Count > 0) await CheckLinksAsync(d, watched, headBefore);
        return result;
    }

    /// <summary>
    /// After a cycle of a device with symbolic links: the links and their outside targets are untouched, and no row the
    /// device committed during the cycle lies at or under a link that existed through the whole cycle.
    /// </summary>
    async Task CheckLinksAsync(SimDevice d, List<LinkRecord> watched, long headBefore)
    {
        List<LinkRecord> still;
        lock (_midCycleLock)
        {
            still = watched.Where(l => d.Links.All.Contains(l)).ToList();
            foreach (var v in d.Links.Check(d.Name)) _violations.Add($"{v} (after step {_steps.Count})");
        }
        if (still.Count == 0) return;
        using var api = CleanApi();
        var rows = new List<TinySync.Core.Contracts.LogEntry>();
        for (var after = headBefore; ;)
        {
            var page = await api.GetLogAsync(_vault, after, 1000, CancellationToken.None);
            rows.AddRange(page.Entries);
            if (!page.HasMore || page.Entries.Count == 0) break;
            after = page.Entries[^1].Seq;
        }
        foreach (var v in DeviceLinks.RowsUnderLinks(rows, d.Identity.DeviceId, still)) _violations.Add($"symlink: {d.Name} committed {v} (after step {_steps.Count})");
    }

    /// <summary>
    /// A conflict copy made by <paramref name="d"/> (the engine's "conflict: REASON; kept both, your version is now
    /// 'NEW'" message, whose reason starts with the path and names a case twin after "clashes with") must be explained
    /// by concurrent changes (<see cref="ConflictWitness"/>); the copy is then a change of this device itself.
    /// </summary>
    void OnConflict(SimDevice d, string text)
    {
        var quoted = System.Text.RegularExpressions.Regex.Matches(text, "'([^']*)'").Select(m => m.Groups[1].Value).ToList();
        if (quoted.Count < 2) return;
        var path = quoted[0];
        var twin = text.Contains("clashes with", StringComparison.Ordinal) && quoted.Count >= 3 ? quoted[1] : null;
        lock (_midCycleLock)
        {
            if (_witness.Explain(d.Index, path, twin) is { } why)
            {
                lock (_violations) _violations.Add($"spurious conflict: {d.Name} kept a conflict copy of '{path}' after step {_steps.Count} ({text}): {why}");
            }
            _witness.Changed(d.Index, [path, quoted[^1]]);
        }
    }

    /// <summary>Every file visible in the folder holds exactly some content a user wrote (the engine's temp files aside).</summary>
    void CheckNoTornFile(SimDevice d)
    {
        foreach (var f in UserOps.Listing(d.Folder).Files)
        {
            var hash = Ledger.Hash(File.ReadAllBytes(Path.Combine(d.Folder, f)));
            if (!_ledger.IsKnown(hash)) _violations.Add($"torn file: {d.Name}:{f} holds content no user wrote ({hash[..12]}) after step {_steps.Count}");
        }
    }

    async Task CheckFinalInvariantsAsync()
    {
        using var api = CleanApi();
        // the server's tree, with each file's full content hash
        var server = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var chunks = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            var page = await api.GetTreeAsync(_vault, "default", cursor, CancellationToken.None);
            foreach (var item in page.Entries)
            {
                if (item.Kind == ItemKind.Dir)
                {
                    server[item.Path] = "dir";
                    continue;
                }
                using var content = new MemoryStream();
                foreach (var h in item.Chunks ?? [])
                {
                    if (!chunks.TryGetValue(h, out var bytes)) chunks[h] = bytes = await api.GetChunkAsync(_vault, h, CancellationToken.None);
                    content.Write(bytes);
                }
                server[item.Path] = Ledger.Hash(content.ToArray());
            }
            cursor = page.Next;
        }
        while (cursor is not null);

        // convergence: every folder equals the server's tree (temp files included: none may be left); a selective
        // device's folder, within its selection
        foreach (var d in _devices)
        {
            var local = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (e, isDir) in UserOps.Walk(d.Folder))
            {
                var rel = Path.GetRelativePath(d.Folder, e).Replace('\\', '/');
                local[rel] = isDir ? "dir" : Ledger.Hash(File.ReadAllBytes(e));
            }
            var differing = server.Keys.Union(local.Keys)
                .Where(p => _selective?.Outside(d, p) != true && server.GetValueOrDefault(p) != local.GetValueOrDefault(p)).ToList();
            if (differing.Count > 0)
            {
                var diffs = differing.Select(p => $"{p}: server {Short(server.GetValueOrDefault(p))}, {d.Name} {Short(local.GetValueOrDefault(p))}");
                _violations.Add($"convergence: {d.Name}'s folder differs from the server: {string.Join("; ", diffs.Take(8))}"
                    + $" (its last warnings: {string.Join(" / ", d.RecentMessages.TakeLast(5))}; its index: {IndexView(d, differing.Take(8))})");
            }
        }

        // no data loss: every content that no device destroyed after seeing it exists somewhere (on the server, or kept
        // outside its selection by a selective device)
        var present = server.Values.ToHashSet(StringComparer.Ordinal);
        if (_selective is not null)
        {
            var (outside, kept) = _selective.CheckFolder();
            _violations.AddRange(outside);
            present.UnionWith(kept);
        }
        foreach (var (hash, by) in _ledger.MustSurvive())
        {
            if (!present.Contains(hash)) _violations.Add($"data loss: content {hash[..8]} ({by}) exists nowhere on the server, and no device that had it destroyed it");
        }

        // exactly-once: no (device, op id) twice in the log
        var seen = new HashSet<(Guid, Guid)>();
        long after = 0;
        while (true)
        {
            var page = await api.GetLogAsync(_vault, after, 1000, CancellationToken.None);
            foreach (var e in page.Entries)
            {
                if (!seen.Add((e.DeviceId, e.OpId))) _violations.Add($"exactly-once: op {e.OpId} of device {e.DeviceId} applied twice (seq {e.Seq})");
                if (_selective?.RowViolation(e) is { } outsideRow) _violations.Add(outsideRow);
                after = e.Seq;
            }
            if (!page.HasMore || page.Entries.Count == 0) break;
        }
        Step($"final: server holds {server.Count} item(s), log head {after}; {_ledger.Count} content(s) written");
    }

    /// <summary>What a device's index holds for some paths (remote, base and local versions), to explain a difference.</summary>
    static string IndexView(SimDevice d, IEnumerable<string> paths)
    {
        using var index = TinySync.Client.Index.LinkIndex.Open(d.State.LinkStateDirectory(d.Link));
        var (remote, @base, local) = (index.LoadRemote(), index.LoadBase(), index.LoadLocal());
        static string V(TinySync.Client.Index.ItemState? i) => i is null ? "none" : $"v{i.Version} {(i.Chunks.Count > 0 ? i.Chunks[0][..8] : i.Kind.ToString())}";
        return string.Join("; ", paths.Select(p => $"{p}: remote {V(remote.GetValueOrDefault(p))}, base {V(@base.GetValueOrDefault(p))}, "
            + $"local {(local.TryGetValue(p, out var l) ? l.Chunks.Count > 0 ? l.Chunks[0].Hash[..8] : l.Kind.ToString() : "none")}"))
            + $"; cursor {index.Cursor}";
    }

    static string Short(string? v) => v is null ? "missing" : v == "dir" ? "dir" : v[..8];
}
