using TinySync.Benchmarks.Server;

// tinysync identity macro benchmarks. Commands (see bench/scripts/identity.sh, which runs them all):
//   seed     --data DIR                 create (or reuse) the seeded SQLite database in DIR
//   token    [--index I]                print the bearer token of the small device, or of seeded device I (for wrk)
//   authz    --data DIR [--calls N]     p50/p99 of IStore.CanAccessAsync over random pairs, half reachable
//   register --url URL [--concurrency C] [--seconds S]   registrations per second through POST /v1/devices
//   profile  --data DIR [--calls N]     where GET /v1/me spends its time, step by step
//   memory   --data DIR                 the server in this process with the seeded DB open: working set, managed heap after GC
var command = args.Length > 0 ? args[0] : "help";
string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
var data = Path.GetFullPath(Arg("--data", Path.Combine(AppContext.BaseDirectory, "seed-data")));
return command switch
{
    "seed" => await Seeder.SeedAsync(data),
    "token" => Seeder.PrintToken(int.Parse(Arg("--index", "-1"), System.Globalization.CultureInfo.InvariantCulture)),
    "authz" => await AuthorizationBench.RunAsync(data, int.Parse(Arg("--calls", "100000"), System.Globalization.CultureInfo.InvariantCulture)),
    "register" => await RegistrationBench.RunAsync(new Uri(Arg("--url", "http://127.0.0.1:5080/")),
        int.Parse(Arg("--concurrency", "16"), System.Globalization.CultureInfo.InvariantCulture),
        double.Parse(Arg("--seconds", "10"), System.Globalization.CultureInfo.InvariantCulture)),
    "memory" => await MemoryBench.RunAsync(data),
    "profile" => await ProfileBench.RunAsync(data, int.Parse(Arg("--calls", "5000"), System.Globalization.CultureInfo.InvariantCulture)),
    _ => Help(),
};

static int Help()
{
    Console.Error.WriteLine("usage: TinySync.Benchmarks.Server seed|token|authz|register|memory [--data DIR] [--url URL] [--calls N] [--concurrency C] [--seconds S]");
    return 2;
}
