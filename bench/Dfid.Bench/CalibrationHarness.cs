using System.Diagnostics;
using Dfid.Analysis;

namespace Dfid.Bench;

/// <summary>The full calibration: null datasets (rejection rate at α = 0.05) and planted Δ = 0.3 at n = 374 (CI coverage).</summary>
/// <remarks><c>dotnet run -c Release --project bench/Dfid.Bench -- calibration [datasets] [permutations] [bootstrap]</c>
/// (defaults 1000, 20000, 10000); exits 1 when a criterion fails.</remarks>
public sealed class CalibrationHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "calibration";

    // `calibration primary [datasets] [permutations] [bootstrap] [seeds]`: the primary endpoint through the statistics
    // layer only (as the test suite does), for several master seeds: shows the Monte-Carlo spread of the figures.
    private static int Primary(string[] args)
    {
        int Arg(int i, int d) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : d;
        int datasets = Arg(0, 2000), permutations = Arg(1, 20_000), resamples = Arg(2, 10_000), seeds = Arg(3, 3);
        var ok = true;
        for (var seed = 1; seed <= seeds; seed++)
        {
            var nul = Calibration.RunPrimary(datasets, 374, 193, 0, permutations, resamples, seed);
            var planted = Calibration.RunPrimary(datasets, 374, 193, 0.3, permutations, resamples, seed);
            Console.WriteLine($"seed {seed}: {datasets} datasets; null rejection {nul.RejectionRate:P1}; planted Δ = 0.3 coverage {planted.Coverage:P1}, power {planted.RejectionRate:P1}");
            ok &= nul.RejectionRate is >= 0.03 and <= 0.07 && planted.Coverage >= 0.93;
        }
        return ok ? 0 : 1;
    }

    /// <inheritdoc/>
    public Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "primary") return Task.FromResult(Primary(args[1..]));
        int Arg(int i, int d) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : d;
        var datasets = Arg(0, 1000);
        var options = new AnalysisOptions { Permutations = Arg(1, 20_000), BootstrapResamples = Arg(2, 10_000), Seed = 2026 };
        Console.WriteLine($"{datasets} datasets per scenario, n = 374 (181 not converted, 193 converted), {options.Permutations} permutations, {options.BootstrapResamples} bootstrap resamples, full analysis per dataset");
        var sw = Stopwatch.StartNew();
        var nul = Calibration.Run(datasets, 374, 193, 0, options);
        var planted = Calibration.Run(datasets, 374, 193, 0.3, options);
        Console.WriteLine($"null (Δ = 0):      rejection at α = 0.05: {nul.RejectionRate:P1}   (criterion 3%–7%); CI coverage of 0: {nul.Coverage:P1}; mean Δ̂ {nul.MeanDelta:+0.0000;-0.0000}");
        Console.WriteLine($"planted Δ = 0.3:   CI coverage of 0.3: {planted.Coverage:P1}   (criterion ≥ 93%); power at α = 0.05: {planted.RejectionRate:P1}; mean Δ̂ {planted.MeanDelta:+0.0000;-0.0000}");
        Console.WriteLine($"elapsed {sw.Elapsed.TotalSeconds:0.0} s");
        var ok = nul.RejectionRate is >= 0.03 and <= 0.07 && planted.Coverage >= 0.93;
        Console.WriteLine(ok ? "calibration criteria met" : "CALIBRATION CRITERION FAILED");
        return Task.FromResult(ok ? 0 : 1);
    }
}
