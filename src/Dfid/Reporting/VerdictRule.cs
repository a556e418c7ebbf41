using Dfid.Analysis;

namespace Dfid.Reporting;

/// <summary>The plain-language verdict of one condition.</summary>
public enum Verdict
{
    /// <summary>Too few data to say: a stratum has too few conversations, or the intervals are too wide to rule out a gap of the margin.</summary>
    Inconclusive,
    /// <summary>No outcome-dependent gap and no stratum shifted by more than the margin.</summary>
    Faithful,
    /// <summary>Simulated non-converters sit deeper in the funnel, relative to the real ones, than converters do (Δ &gt; 0, CI above 0).</summary>
    DisengagementDeficit,
    /// <summary>The opposite gap: simulated converters are pushed deeper than non-converters (CI of Δ below 0).</summary>
    ReverseGap,
    /// <summary>No outcome-dependent gap, but simulated users of at least one stratum are shifted as a whole (stratum CI excludes 0).</summary>
    UniformShift,
}

/// <summary>
/// The report's decision rule, applied to the analysis' estimates (it computes no statistic of its own):
/// <list type="number">
/// <item>fewer than <see cref="MinConversationsPerStratum"/> analysed conversations in a stratum, or no CI for Δ → <see cref="Verdict.Inconclusive"/>;</item>
/// <item>95% CI of Δ entirely above 0 → <see cref="Verdict.DisengagementDeficit"/>; entirely below 0 → <see cref="Verdict.ReverseGap"/>;</item>
/// <item>CI of Δ inside ±<see cref="EquivalenceMargin"/> and both stratum CIs of E[D̄] inside ±margin → <see cref="Verdict.Faithful"/>;</item>
/// <item>CI of Δ inside ±margin and a stratum CI excludes 0 → <see cref="Verdict.UniformShift"/>;</item>
/// <item>otherwise (intervals too wide to exclude a gap of the margin) → <see cref="Verdict.Inconclusive"/>.</item>
/// </list>
/// </summary>
public static class VerdictRule
{
    /// <summary>Minimum analysed conversations per stratum before any verdict is given.</summary>
    public const int MinConversationsPerStratum = 10;

    /// <summary>Equivalence margin in funnel stages: a quarter stage, the smallest gap the report treats as practically relevant.</summary>
    public const double EquivalenceMargin = 0.25;

    /// <summary>Applies the rule to one condition.</summary>
    public static Verdict Decide(ConditionResult condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (condition.NNotConverted < MinConversationsPerStratum || condition.NConverted < MinConversationsPerStratum) return Verdict.Inconclusive;
        if (condition.Delta is not { CiLow: { } lo, CiHigh: { } hi }) return Verdict.Inconclusive;
        if (lo > 0) return Verdict.DisengagementDeficit;
        if (hi < 0) return Verdict.ReverseGap;
        if (lo < -EquivalenceMargin || hi > EquivalenceMargin) return Verdict.Inconclusive;
        var strata = new[] { condition.StratumBias.NotConverted, condition.StratumBias.Converted };
        if (strata.Any(s => s.CiLow is not { } l || s.CiHigh is not { } h || l > 0 || h < 0)
            && strata.All(s => s.CiLow is not null && s.CiHigh is not null))
            return Verdict.UniformShift;
        if (strata.All(s => s.CiLow is { } l && s.CiHigh is { } h && l >= -EquivalenceMargin && h <= EquivalenceMargin)) return Verdict.Faithful;
        return Verdict.Inconclusive;
    }

    /// <summary>The short label used in tables ("faithful", "disengagement deficit", ...).</summary>
    public static string Label(Verdict verdict) => verdict switch
    {
        Verdict.Faithful => "faithful",
        Verdict.DisengagementDeficit => "disengagement deficit",
        Verdict.ReverseGap => "reverse gap",
        Verdict.UniformShift => "uniform shift",
        _ => "too few data to say",
    };
}
