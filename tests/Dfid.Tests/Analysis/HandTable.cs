using Dfid.Analysis;
using Dfid.Instrument;

namespace Dfid.Tests.Analysis;

/// <summary>A six-conversation probe table whose statistics are worked out by hand in the tests.</summary>
/// <remarks>
/// converted:     c1 (engaging→considering, considering→considering) D̄ = 0.5; c2 (exploring→exploring) D̄ = 0;
///                c6 (deciding→considering) D̄ = −1.
/// not converted: c3 (resisting→considering, resisting→engaging) D̄ = 2.5; c4 (exploring→engaging, one failed
///                simulation) D̄ = 1; c5 (both real labels failed) excluded.
/// </remarks>
internal static class HandTable
{
    public static List<ProbeRow> Rows(string condition = "persona", bool replay = false)
    {
        ProbeRow Row(string id, bool converted, int turn, double pos, Stage? real, Stage? sim, AgentAction? action,
            ProbeStatus status = ProbeStatus.Ok, Stage? full = null, Stage? human = null)
        {
            if (replay) sim = status == ProbeStatus.Ok ? real : sim;
            return new ProbeRow(condition, id, converted, turn, pos,
                real is { } r ? new DecisionState(r, Emotion.Neutral, Blocker.None, KeySignal: $"real {id}/{turn}") : null,
                sim is { } s ? new DecisionState(s, Emotion.Positive, null, KeySignal: $"sim {id}/{turn}") : null,
                action, status,
                full is { } f ? new DecisionState(f) : null,
                human,
                new ProbeTexts($"agent {id}/{turn}", $"real reply {id}/{turn}", sim is null ? null : $"sim reply {id}/{turn}"));
        }

        return
        [
            Row("c1", true, 2, 0.3, Stage.Engaging, Stage.Considering, AgentAction.Pitch, full: Stage.Engaging, human: Stage.Exploring),
            Row("c1", true, 4, 0.6, Stage.Considering, Stage.Considering, AgentAction.Pitch),
            Row("c2", true, 2, 0.3, Stage.Exploring, Stage.Exploring, AgentAction.Rapport),
            Row("c3", false, 4, 0.6, Stage.Resisting, Stage.Considering, AgentAction.Pitch, full: Stage.Exploring, human: Stage.Resisting),
            Row("c3", false, 6, 0.9, Stage.Resisting, Stage.Engaging, AgentAction.PushClose),
            Row("c4", false, 2, 0.3, Stage.Exploring, Stage.Engaging, null),
            Row("c4", false, 4, 0.6, Stage.Exploring, null, AgentAction.Probe, ProbeStatus.SimulationFailed),
            Row("c5", false, 2, 0.3, null, Stage.Engaging, AgentAction.Pitch, ProbeStatus.RealLabelFailed),
            Row("c5", false, 4, 0.6, null, Stage.Engaging, AgentAction.Pitch, ProbeStatus.RealLabelFailed),
            Row("c6", true, 6, 0.9, Stage.Deciding, Stage.Considering, AgentAction.Pitch, full: Stage.Deciding, human: Stage.Deciding),
        ];
    }
}
