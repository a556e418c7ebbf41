using Microsoft.Data.Sqlite;

namespace Dfid.Tests.Running;

/// <summary>A run store's content as text without timings, to compare an interrupted run with an uninterrupted one.</summary>
internal static class StoreDump
{
    /// <summary>Probes, simulated turns, labels and agent actions.</summary>
    public static readonly string[] ProbeTables =
    [
        "SELECT conversation_id, turn_index, position FROM probes ORDER BY 1, 2",
        "SELECT simulator, conversation_id, turn_index, sample_index, text, status FROM sim_turns ORDER BY 1, 2, 3, 4",
        "SELECT instrument, conversation_id, turn_index, source, stage, status FROM labels ORDER BY 1, 2, 3, 4",
        "SELECT labeller, conversation_id, agent_turn_index, action, status FROM actions ORDER BY 1, 2, 3",
    ];

    /// <summary>Rollout steps, rollout ends and labels.</summary>
    public static readonly string[] RolloutTables =
    [
        "SELECT condition, conversation_id, sample, step, role, text, status FROM rollout_steps ORDER BY 1, 2, 3, 4",
        "SELECT condition, conversation_id, sample, start_turn, end, user_turns, cap FROM rollouts ORDER BY 1, 2, 3",
        "SELECT instrument, conversation_id, turn_index, source, stage, status FROM labels ORDER BY 1, 2, 3, 4",
    ];

    /// <summary>The rows of <paramref name="queries"/> (default <see cref="ProbeTables"/>) in the store at <paramref name="path"/>.</summary>
    public static string Of(string path, IReadOnlyList<string>? queries = null)
    {
        using var db = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        db.Open();
        var sb = new System.Text.StringBuilder();
        foreach (var sql in queries ?? ProbeTables)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = sql;
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
            {
                for (var i = 0; i < rd.FieldCount; i++) sb.Append(rd.IsDBNull(i) ? "∅" : rd.GetValue(i)).Append('|');
                sb.Append('\n');
            }
            sb.Append("--\n");
        }
        return sb.ToString();
    }
}
