using Dfid.Analysis.Statistics;

namespace Dfid.Analysis;

/// <summary>The outcome of a calibration study: how often the test rejects and the interval covers the truth.</summary>
/// <param name="Datasets">Generated datasets.</param>
/// <param name="PlantedDelta">True Δ of every dataset.</param>
/// <param name="RejectionRate">Share of datasets with permutation p ≤ α.</param>
/// <param name="Coverage">Share of datasets whose Δ interval contains the planted Δ.</param>
/// <param name="MeanDelta">Mean estimated Δ (bias check).</param>
internal sealed record CalibrationOutcome(int Datasets, double PlantedDelta, double RejectionRate, double Coverage, double MeanDelta);

/// <summary>Runs the full analysis on many generated probe tables with a known Δ (committed calibration, see scripts/calibration).</summary>
internal static class Calibration
{
    /// <summary>Generates <paramref name="datasets"/> tables of <paramref name="n"/> conversations
    /// (<paramref name="converted"/> converted) with the planted Δ and analyses each one.</summary>
    public static CalibrationOutcome Run(int datasets, int n, int converted, double plantedDelta, AnalysisOptions options, double alpha = 0.05)
    {
        int rejected = 0, covered = 0;
        double sumDelta = 0;
        for (var i = 0; i < datasets; i++)
        {
            var rows = SyntheticProbeTable.Generate(new SyntheticSpec(n, converted, ["c"], plantedDelta,
                Seed: Xoshiro256.Derive(options.Seed, i, plantedDelta.GetHashCode())));
            var c = DecisionFidelityAnalysis.Analyze(rows, options with { Seed = Xoshiro256.Derive(options.Seed, i, 1), ExampleCount = 0 }).Conditions[0];
            if (c.PValue <= alpha) rejected++;
            if (c.Delta.CiLow <= plantedDelta && plantedDelta <= c.Delta.CiHigh) covered++;
            sumDelta += c.Delta.Value ?? double.NaN;
        }
        return new CalibrationOutcome(datasets, plantedDelta, (double)rejected / datasets, (double)covered / datasets, sumDelta / datasets);
    }

    /// <summary>The same study on the primary endpoint only, through the statistics layer (permutation test and
    /// stratified bootstrap on the per-conversation D̄): cheap enough for the test suite.</summary>
    public static CalibrationOutcome RunPrimary(int datasets, int n, int converted, double plantedDelta, int permutations, int resamples, long seed, double alpha = 0.05)
    {
        int rejected = 0, covered = 0;
        double sumDelta = 0;
        for (var i = 0; i < datasets; i++)
        {
            var rows = SyntheticProbeTable.Generate(new SyntheticSpec(n, converted, ["c"], plantedDelta, Seed: Xoshiro256.Derive(seed, i, 7)));
            var dbar = rows.Where(DecisionFidelityAnalysis.IsUsable).GroupBy(r => r.ConversationId)
                .Select(g => (g.First().Converted, D: g.Average(r => (double)(DecisionFidelityAnalysis.Depth(r.Sim!.Stage) - DecisionFidelityAnalysis.Depth(r.Real!.Stage)))))
                .ToList();
            var a = dbar.Where(x => !x.Converted).Select(x => x.D).ToArray();
            var b = dbar.Where(x => x.Converted).Select(x => x.D).ToArray();
            var p = PermutationTest.OneSided(a, b, permutations, Xoshiro256.Derive(seed, i, 8)).PValue;
            var reps = Bootstrap.Stratified(a, b, resamples, Xoshiro256.Derive(seed, i, 9));
            var (lo, hi) = Descriptive.PercentileIntervalInplace(reps.Difference, 0.95);
            if (p <= alpha) rejected++;
            if (lo <= plantedDelta && plantedDelta <= hi) covered++;
            sumDelta += Descriptive.Mean(a) - Descriptive.Mean(b);
        }
        return new CalibrationOutcome(datasets, plantedDelta, (double)rejected / datasets, (double)covered / datasets, sumDelta / datasets);
    }
}
