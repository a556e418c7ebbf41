using System.Globalization;

namespace Dfid.Analysis;

/// <summary>Writes the probe table as CSV: one row per (condition, probe), for analysis in R or pandas.</summary>
public static class ProbeTableCsv
{
    /// <summary>The header, in column order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
    [
        "condition", "conversation_id", "converted", "probe_turn", "position", "real_stage", "sim_stage",
        "real_depth", "sim_depth", "agent_action", "status",
    ];

    /// <summary>Writes the header and one line per row (RFC 4180 quoting, invariant culture, "\n" line ends).</summary>
    /// <remarks><c>converted</c> is 1/0; a missing label or action is an empty field; <c>status</c> is
    /// <c>ok</c>, <c>simulation-failed</c>, <c>real-label-failed</c> or <c>sim-label-failed</c>.</remarks>
    public static void Write(IReadOnlyList<ProbeRow> rows, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(string.Join(',', Columns));
        writer.Write('\n');
        foreach (var r in rows)
        {
            writer.Write(CsvField.Of(r.Condition)); writer.Write(',');
            writer.Write(CsvField.Of(r.ConversationId)); writer.Write(',');
            writer.Write(r.Converted ? '1' : '0'); writer.Write(',');
            writer.Write(r.ProbeTurn.ToString(CultureInfo.InvariantCulture)); writer.Write(',');
            writer.Write(r.Position.ToString("R", CultureInfo.InvariantCulture)); writer.Write(',');
            writer.Write(r.Real is null ? "" : StateNames.Of(r.Real.Stage)); writer.Write(',');
            writer.Write(r.Sim is null ? "" : StateNames.Of(r.Sim.Stage)); writer.Write(',');
            writer.Write(r.Real is null ? "" : DecisionFidelityAnalysis.Depth(r.Real.Stage).ToString(CultureInfo.InvariantCulture)); writer.Write(',');
            writer.Write(r.Sim is null ? "" : DecisionFidelityAnalysis.Depth(r.Sim.Stage).ToString(CultureInfo.InvariantCulture)); writer.Write(',');
            writer.Write(r.Action is { } a ? StateNames.Of(a) : ""); writer.Write(',');
            writer.Write(StateNames.Of(r.Status));
            writer.Write('\n');
        }
    }

    /// <summary>Writes the rollouts' turns: one line per turn (condition, conversation, sample, turn, role, text, stage, status).</summary>
    /// <remarks><c>turn</c> is the step after the real prefix (the user writes the even ones); <c>stage</c> is the instrument's stage
    /// of a user turn (empty for agent turns, exits and failures); <c>status</c> is <c>ok</c>, <c>exit</c>, <c>empty</c>,
    /// <c>refusal</c>, <c>invalid-answer</c> or <c>model-error</c>. Texts are guarded against spreadsheet formulas.</remarks>
    public static void WriteRollouts(IReadOnlyList<RolloutTurn> turns, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(turns);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("condition,conversation_id,sample,turn,role,text,stage,status\n");
        foreach (var t in turns)
        {
            writer.Write(string.Join(',',
                CsvField.Of(t.Condition), CsvField.Of(t.ConversationId), t.Sample.ToString(CultureInfo.InvariantCulture),
                t.Step.ToString(CultureInfo.InvariantCulture), t.Role, CsvField.Of(t.Text ?? ""),
                t.Stage is { } s ? StateNames.Of(s) : "", t.Status));
            writer.Write('\n');
        }
    }
}
