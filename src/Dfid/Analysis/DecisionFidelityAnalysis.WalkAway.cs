using Dfid.Analysis.Statistics;

namespace Dfid.Analysis;

// How the walk-away analyses (ExitProbeAnalysis, RolloutAnalysis) join the depth analysis: the conditions of one input,
// their modes and teacher-forced twins, and the depth analysis' own contrast machinery (joint bootstrap of conversations
// within strata, joint label permutation, the same summary of Δ, d and stratum means), so a rollout Δ is computed
// exactly as the teacher-forced Δ is.
public static partial class DecisionFidelityAnalysis
{
    // Endpoint ids of the seed streams (the depth analysis uses 0 and 100): a new endpoint never reuses another's draws.
    internal const int ExitEndpoint = 300, RolloutEndpoint = 200;

    private static OrderedDictionary<string, List<T>> GroupByCondition<T>(IReadOnlyList<T> rows, Func<T, string> condition) where T : class
    {
        var groups = new OrderedDictionary<string, List<T>>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            ArgumentNullException.ThrowIfNull(row);
            var name = condition(row);
            if (!groups.TryGetValue(name, out var list)) groups.Add(name, list = []);
            list.Add(row);
        }
        return groups;
    }

    private static string ModeOf(string name, ConditionDescriptor? descriptor, bool hasProbeRows, bool hasRolloutRows)
    {
        if (descriptor?.Mode is { } given && given is not (ConditionModes.Probe or ConditionModes.Rollout))
            throw new DfidException($"condition '{name}': mode '{given}' is neither '{ConditionModes.Probe}' nor '{ConditionModes.Rollout}'; fix the condition descriptor", 2);
        if (hasProbeRows && hasRolloutRows)
            throw new DfidException(
                $"condition '{name}' has both teacher-forced probe rows and rollout rows; a condition is either mode probe or mode rollout: give the rollout condition its own name", 1);
        var mode = descriptor?.Mode ?? (hasRolloutRows ? ConditionModes.Rollout : ConditionModes.Probe);
        if (mode == ConditionModes.Probe && hasRolloutRows)
            throw new DfidException($"condition '{name}' is described as mode probe but has rollout rows; describe it as mode rollout", 1);
        if (mode == ConditionModes.Rollout && hasProbeRows)
            throw new DfidException($"condition '{name}' is described as mode rollout but has teacher-forced probe rows; describe it as mode probe", 1);
        return mode;
    }

    /// <summary>The probe condition whose Δ stands beside a rollout condition's: named in the options, else the one probe
    /// condition with the same simulator and instrument, else none.</summary>
    private static string? TwinOf(string rollout, Dictionary<string, ConditionDescriptor> descriptors, Dictionary<string, string> modes,
        Dictionary<string, int> probeConditions, AnalysisOptions options)
    {
        if (options.TeacherForcedTwins is { } twins && twins.TryGetValue(rollout, out var named))
        {
            if (!probeConditions.ContainsKey(named))
                throw new DfidException(
                    $"the teacher-forced twin of rollout condition '{rollout}' is '{named}', which has no probe rows; known probe conditions: {string.Join(", ", probeConditions.Keys)}", 2);
            return named;
        }
        if (descriptors.GetValueOrDefault(rollout) is not { Simulator: { } simulator, Instrument: { } instrument }) return null;
        var same = probeConditions.Keys.Where(n => modes[n] == ConditionModes.Probe && descriptors.GetValueOrDefault(n) is { } d
            && d.Simulator == simulator && d.Instrument == instrument).ToList();
        return same.Count == 1 ? same[0] : null;
    }

    /// <summary>Joint bootstrap replicates of per-conversation columns (row-major [unit × k] per stratum, NaN = not eligible),
    /// on the condition's own stream for <paramref name="endpoint"/>.</summary>
    internal static StratifiedReplicates[] JointReplicates(double[] notConverted, double[] converted, int k, AnalysisOptions options, string condition, int endpoint) =>
        JointBootstrap.Run(notConverted, converted, k, options.BootstrapResamples, new Context(options, StableHash(condition)).Seed(endpoint, 1), options.Workers);

    /// <summary>One-sided permutation p (Δ &gt; 0) of the first <paramref name="tested"/> columns, sharing their label shuffles.</summary>
    internal static double?[] JointPValues(double[] notConverted, double[] converted, int k, int tested, AnalysisOptions options, string condition, int endpoint) =>
        JointPermutation.OneSided(Take(notConverted, k, tested), Take(converted, k, tested), tested, options.Permutations,
            new Context(options, StableHash(condition)).Seed(endpoint, 0), options.Workers);

    /// <summary>Δ, d and stratum means of one column, summarised exactly as the primary endpoint.</summary>
    internal static EndpointResult Contrast(double[] notConverted, double[] converted, int k, int[] probes, int column,
        StratifiedReplicates replicates, double? p, string description, AnalysisOptions options) =>
        Summarise(new EndpointTable(notConverted, converted, k, probes), column, replicates, new Context(options, 0), p, description).Result;

    /// <summary>A point estimate with the percentile interval of its replicates (undefined when the value is not finite).</summary>
    internal static Estimate EstimateOf(double value, double[] replicates, double level) => Make(value, replicates, level);

    /// <summary>The eligible (non-NaN) values of column <paramref name="e"/> of a row-major [unit × k] matrix.</summary>
    internal static double[] ColumnOf(double[] x, int k, int e)
    {
        var list = new List<double>(x.Length / k);
        for (var u = e; u < x.Length; u += k)
            if (!double.IsNaN(x[u])) list.Add(x[u]);
        return [.. list];
    }

    /// <summary>A rate over conversations: the mean of the eligible per-conversation shares with the interval of its replicates.</summary>
    internal static RateEstimate RateOf(double[] shares, double[] replicates, double level)
    {
        if (shares.Length == 0) return new RateEstimate(null, null, null, 0);
        var (lo, hi) = Descriptive.PercentileInterval(replicates, level);
        return new RateEstimate(Finite(Descriptive.Mean(shares)), Finite(lo), Finite(hi), shares.Length);
    }
}
