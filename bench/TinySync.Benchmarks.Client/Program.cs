using System.Diagnostics;
using System.Globalization;

// Client macro benchmarks driven through real processes (server, tinysync). See RESULTS.md for the commands.
//   gen DIR SMALL_FILES LARGE_FILES LARGE_MB      deterministic random tree
//   latency TINYSYNC_DLL HOME_A DIR_A HOME_B DIR_B N   daemon propagation latency A -> B (p50/p99) and where it goes
//   insert FILE OFFSET_MB INSERT_MB              insert random bytes in the middle of a file (rewrites it)
return args.FirstOrDefault() switch
{
    "gen" => Gen(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture)),
    "latency" => await Propagation.RunAsync(args[1], args[2], args[3], args[4], args[5], int.Parse(args[6], CultureInfo.InvariantCulture)),
    "insert" => Insert(args[1], long.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: gen DIR SMALL LARGE LARGE_MB | latency DLL HOME_A DIR_A HOME_B DIR_B N | insert FILE OFFSET_MB INSERT_MB");
    return 2;
}

static int Gen(string dir, int small, int large, int largeMb)
{
    var rng = new Random(20261122);
    Directory.CreateDirectory(dir);
    long total = 0;
    for (var i = 0; i < small; i++)
    {
        var sub = Path.Combine(dir, $"d{i / 100:000}");
        Directory.CreateDirectory(sub);
        var bytes = new byte[rng.Next(1024, 20 * 1024)];
        rng.NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(sub, $"f{i:00000}.bin"), bytes);
        total += bytes.Length;
    }
    var buffer = new byte[1024 * 1024];
    for (var i = 0; i < large; i++)
    {
        using var f = File.Create(Path.Combine(dir, $"large{i}.bin"));
        for (var m = 0; m < largeMb; m++)
        {
            rng.NextBytes(buffer);
            f.Write(buffer);
        }
        total += (long)largeMb * buffer.Length;
    }
    Console.WriteLine($"generated {small} small + {large} large files, {total / 1024 / 1024} MiB in {dir}");
    return 0;
}

static int Insert(string file, long offsetMb, int insertMb)
{
    var tmp = file + ".insert";
    var insert = new byte[insertMb * 1024 * 1024];
    new Random(7).NextBytes(insert);
    using (var src = File.OpenRead(file))
    using (var dst = File.Create(tmp))
    {
        var head = offsetMb * 1024 * 1024;
        var buf = new byte[1024 * 1024];
        long copied = 0;
        while (copied < head)
        {
            var n = src.Read(buf, 0, (int)Math.Min(buf.Length, head - copied));
            if (n == 0) break;
            dst.Write(buf, 0, n);
            copied += n;
        }
        dst.Write(insert);
        src.CopyTo(dst);
    }
    File.Move(tmp, file, overwrite: true);
    return 0;
}

