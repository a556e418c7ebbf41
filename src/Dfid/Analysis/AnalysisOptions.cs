namespace Dfid.Analysis;

/// <summary>Names a condition's simulator and instrument for the results (the probe table carries only the condition name).</summary>
/// <param name="Name">Condition name as in <see cref="ProbeRow.Condition"/>.</param>
/// <param name="Simulator">Simulator id.</param>
/// <param name="Instrument">Instrument id.</param>
/// <param name="Agent">Agent id of a rollout condition (null for probe conditions).</param>
/// <param name="Mode"><see cref="ConditionModes.Probe"/> or <see cref="ConditionModes.Rollout"/>; null infers it (rollout when the
/// condition has rollout rows).</param>
public sealed record ConditionDescriptor(string Name, string? Simulator, string? Instrument, string? Agent = null, string? Mode = null);

/// <summary>The values of <see cref="ConditionResult.Mode"/>.</summary>
public static class ConditionModes
{
    /// <summary>Teacher-forced probes (the depth measurement, optionally with exit probes).</summary>
    public const string Probe = "probe";

    /// <summary>Free-running rollouts (the walk-away measurement).</summary>
    public const string Rollout = "rollout";

    /// <summary>Whether a condition belongs in the depth tables: a probe condition with teacher-forced probe rows (a rollout
    /// condition, or a condition that has only exit probes, has no depth numbers).</summary>
    public static bool HasDepth(ConditionResult condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return condition.Mode != Rollout && !(condition.Exits is not null && condition.Counts.Converted.Probes + condition.Counts.NotConverted.Probes == 0);
    }
}

/// <summary>Options of <see cref="DecisionFidelityAnalysis.Analyze(AnalysisInput, AnalysisOptions?)"/>.</summary>
public sealed record AnalysisOptions
{
    /// <summary>Permutation draws per test.</summary>
    /// <value>The default value is 20,000.</value>
    public int Permutations { get; init; } = 20_000;

    /// <summary>Bootstrap resamples per interval.</summary>
    /// <value>The default value is 10,000.</value>
    public int BootstrapResamples { get; init; } = 10_000;

    /// <summary>Seed of all resampling; the same seed and input give the same results.</summary>
    /// <value>The default value is 20260601.</value>
    public long Seed { get; init; } = 20260601;

    /// <summary>Two-sided level of every interval.</summary>
    /// <value>The default value is 0.95.</value>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Conditions forming the confirmatory family (Holm); null means every condition.</summary>
    public IReadOnlyList<string>? ConfirmatoryFamily { get; init; }

    /// <summary>Simulator and instrument ids per condition, for the results.</summary>
    public IReadOnlyList<ConditionDescriptor>? Conditions { get; init; }

    /// <summary>How many non-converter examples to keep per condition.</summary>
    /// <value>The default value is 5.</value>
    public int ExampleCount { get; init; } = 5;

    /// <summary>
    /// The teacher-forced twin of each rollout condition: rollout condition name → the probe condition with the same
    /// simulator and instrument, whose Δ on the same conversations is reported beside the rollout Δ. A rollout condition
    /// not named here is paired with the one probe condition whose <see cref="Conditions"/> descriptor has the same
    /// simulator and instrument, when exactly one has; otherwise it has no twin.
    /// </summary>
    public IReadOnlyDictionary<string, string>? TeacherForcedTwins { get; init; }

    /// <summary>How many example rollouts (with their real continuation) to keep per rollout condition.</summary>
    /// <value>The default value is 3.</value>
    public int RolloutExampleCount { get; init; } = 3;

    /// <summary>Worker threads for permutation and bootstrap loops (results do not depend on it).</summary>
    /// <value>The default value is 2.</value>
    public int Workers { get; init; } = 2;

    /// <summary>
    /// From this many conversations in a condition, intervals and p-values are drawn as counts of distinct
    /// per-conversation values (<see cref="Statistics.CountResampling"/>: the same distributions at a cost independent of
    /// the study's size); below it, unit by unit as in earlier versions, so their results reproduce exactly.
    /// </summary>
    /// <value>The default is 20,000.</value>
    internal int CountResamplingFrom { get; init; } = 20_000;

    /// <summary>Checks every option and throws one error listing all problems.</summary>
    /// <exception cref="DfidException">An option is out of range (exit code 2).</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (Permutations < 1) errors.Add($"permutations must be at least 1 (got {Permutations})");
        if (BootstrapResamples < 1) errors.Add($"bootstrap resamples must be at least 1 (got {BootstrapResamples})");
        if (!(ConfidenceLevel > 0 && ConfidenceLevel < 1)) errors.Add($"confidence level must be in (0, 1) (got {ConfidenceLevel})");
        if (ExampleCount < 0) errors.Add($"example count must not be negative (got {ExampleCount})");
        if (RolloutExampleCount < 0) errors.Add($"rollout example count must not be negative (got {RolloutExampleCount})");
        if (Workers < 1) errors.Add($"workers must be at least 1 (got {Workers})");
        if (errors.Count > 0) throw new DfidException("invalid analysis options: " + string.Join("; ", errors), 2);
    }
}
