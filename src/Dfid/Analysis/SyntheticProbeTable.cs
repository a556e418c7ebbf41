using Dfid.Analysis.Statistics;

namespace Dfid.Analysis;

/// <summary>Settings of a generated probe table with a known truth (for calibration, tests and benchmarks).</summary>
/// <param name="Conversations">Conversations per condition.</param>
/// <param name="Converted">How many of them converted.</param>
/// <param name="Conditions">Condition names.</param>
/// <param name="PlantedDelta">True Δ: E[D | not converted] − E[D | converted] per probe (hence per conversation).</param>
/// <param name="ConvertedMean">True E[D | converted].</param>
/// <param name="Seed">Seed.</param>
/// <param name="WideStages">Real stages over the whole funnel (sim clamped to it, so Δ is only approximately planted);
/// otherwise real stages are exploring/engaging and the planted Δ is exact.</param>
/// <param name="FailureRate">Share of probes whose simulation or labelling failed.</param>
/// <param name="HumanLabelRate">Share of probes with a human stage (equal to the real stage, or one off with probability 0.2).</param>
/// <param name="FullContextRate">Share of probes with a full-context real label (equal to the causal one, or one off with probability 0.1).</param>
/// <param name="WithTexts">Attach probe texts.</param>
internal sealed record SyntheticSpec(
    int Conversations,
    int Converted,
    IReadOnlyList<string> Conditions,
    double PlantedDelta,
    double ConvertedMean = 0.1,
    long Seed = 1,
    bool WideStages = false,
    double FailureRate = 0,
    double HumanLabelRate = 0,
    double FullContextRate = 0,
    bool WithTexts = false);

/// <summary>Generates probe tables whose per-probe D has a known mean per stratum.</summary>
/// <remarks>D = B + J with B ∈ {−1, 0, 1} (probabilities ¼, ½, ¼, mean 0) and J ~ Bernoulli(q): E[D] = q, with
/// q = ConvertedMean for converters and ConvertedMean + PlantedDelta for non-converters (each in [0, 1]).</remarks>
internal static class SyntheticProbeTable
{
    private static readonly double[] Positions = [0.3, 0.6, 0.9];

    public static List<ProbeRow> Generate(SyntheticSpec spec)
    {
        var q1 = spec.ConvertedMean;
        var q0 = spec.ConvertedMean + spec.PlantedDelta;
        if (q0 is < 0 or > 1 || q1 is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(spec), "stratum means must lie in [0, 1]");
        var rows = new List<ProbeRow>(spec.Conversations * 3 * spec.Conditions.Count);
        var emotions = Enum.GetValues<Emotion>();
        var blockers = Enum.GetValues<Blocker>();
        var actions = Enum.GetValues<AgentAction>();
        for (var ci = 0; ci < spec.Conditions.Count; ci++)
        {
            var rng = new Xoshiro256(spec.Seed, ci);
            for (var i = 0; i < spec.Conversations; i++)
            {
                var converted = i < spec.Converted;
                var id = $"c{i:D5}";
                var probes = rng.NextDouble() < 0.1 ? 2 : 3;
                for (var p = 0; p < probes; p++)
                {
                    int real = spec.WideStages ? (int)rng.NextBelow(5) : 1 + (int)rng.NextBelow(2);
                    var u = rng.NextDouble();
                    var d = (u < 0.25 ? -1 : u < 0.75 ? 0 : 1) + (rng.NextDouble() < (converted ? q1 : q0) ? 1 : 0);
                    var sim = Math.Clamp(real + d, 0, 4);
                    var status = ProbeStatus.Ok;
                    if (spec.FailureRate > 0 && rng.NextDouble() < spec.FailureRate)
                        status = (ProbeStatus)(1 + rng.NextBelow(3));
                    var realState = new DecisionState((Stage)real, emotions[rng.NextBelow((uint)emotions.Length)], blockers[rng.NextBelow((uint)blockers.Length)], KeySignal: "real words");
                    var simState = new DecisionState((Stage)sim, emotions[rng.NextBelow((uint)emotions.Length)], blockers[rng.NextBelow((uint)blockers.Length)], KeySignal: "sim words");
                    DecisionState? full = null;
                    if (spec.FullContextRate > 0 && rng.NextDouble() < spec.FullContextRate)
                        full = realState with { Stage = (Stage)Math.Clamp(real + (rng.NextDouble() < 0.1 ? 1 : 0), 0, 4) };
                    Stage? human = null;
                    if (spec.HumanLabelRate > 0 && rng.NextDouble() < spec.HumanLabelRate)
                        human = (Stage)Math.Clamp(real - (rng.NextDouble() < 0.2 ? 1 : 0), 0, 4);
                    var turn = 2 + 2 * p;
                    rows.Add(new ProbeRow(
                        spec.Conditions[ci], id, converted, turn, Positions[p],
                        status is ProbeStatus.Ok or ProbeStatus.SimLabelFailed or ProbeStatus.SimulationFailed ? realState : null,
                        status == ProbeStatus.Ok ? simState : null,
                        actions[rng.NextBelow((uint)actions.Length)],
                        status,
                        full,
                        human,
                        spec.WithTexts ? new ProbeTexts($"agent turn {turn - 1} of {id}", $"real reply {turn} of {id}", status == ProbeStatus.SimulationFailed ? null : $"sim reply {turn} of {id}") : null));
                }
            }
        }
        return rows;
    }
}
