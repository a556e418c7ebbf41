using System.Text.Json;
using Dfid.Corpus;
using Microsoft.Data.Sqlite;

namespace Dfid.Store;

/// <summary>The join of probes, simulated turns, labels and action labels into the probe table (one pass over each table).</summary>
internal static class ProbeTableQuery
{
    public static ProbeTable Read(SqliteConnection db, bool includeTexts, IReadOnlyDictionary<string, Conversation> conversations,
        IReadOnlyList<Probe> probes, IReadOnlyList<StoredCondition> conditions)
    {
        var sims = new Dictionary<(string, string, int), (string? Text, AnswerStatus Status)>();
        var labels = new Dictionary<(string, string, int, string), (DecisionState? State, AnswerStatus Status)>();
        var actions = new Dictionary<(string, int), AgentAction?>();
        using (var cmd = Command(db, "SELECT simulator, conversation_id, turn_index, text, status FROM sim_turns WHERE sample_index = 0"))
        using (var rd = cmd.ExecuteReader())
            while (rd.Read())
                sims[(rd.GetString(0), rd.GetString(1), rd.GetInt32(2))] = (rd.IsDBNull(3) ? null : rd.GetString(3), Enum.Parse<AnswerStatus>(rd.GetString(4)));
        using (var cmd = Command(db, "SELECT instrument, conversation_id, turn_index, source, state_json, status FROM labels"))
        using (var rd = cmd.ExecuteReader())
            while (rd.Read())
                labels[(rd.GetString(0), rd.GetString(1), rd.GetInt32(2), rd.GetString(3))] =
                    (rd.IsDBNull(4) ? null : JsonSerializer.Deserialize<DecisionState>(rd.GetString(4), RunStore.Json), Enum.Parse<AnswerStatus>(rd.GetString(5)));
        using (var cmd = Command(db, "SELECT conversation_id, agent_turn_index, action FROM actions WHERE status = 'Ok' ORDER BY labeller"))
        using (var rd = cmd.ExecuteReader())
            while (rd.Read())
                actions.TryAdd((rd.GetString(0), rd.GetInt32(1)), rd.IsDBNull(2) ? null : JsonSerializer.Deserialize<AgentAction>("\"" + rd.GetString(2) + "\"", RunStore.Json));

        var rows = new List<ProbeRow>();
        foreach (var (name, simulator, instrument) in conditions)
        {
            foreach (var p in probes)
            {
                if (!conversations.TryGetValue(p.ConversationId, out var conv) || conv.Outcome.Converted is not bool converted) continue;
                if (!sims.TryGetValue((simulator, p.ConversationId, p.TurnIndex), out var sim)) continue;
                if (!labels.TryGetValue((instrument, p.ConversationId, p.TurnIndex, LabelSource.Real), out var real)) continue;
                (DecisionState? State, AnswerStatus Status) simLabel = (null, AnswerStatus.Ok);
                if (sim.Status == AnswerStatus.Ok && !labels.TryGetValue((instrument, p.ConversationId, p.TurnIndex, LabelSource.Simulated(simulator)), out simLabel)) continue;
                var status = sim.Status != AnswerStatus.Ok ? ProbeStatus.SimulationFailed
                    : real.Status != AnswerStatus.Ok ? ProbeStatus.RealLabelFailed
                    : simLabel.Status != AnswerStatus.Ok ? ProbeStatus.SimLabelFailed
                    : ProbeStatus.Ok;
                var agentIndex = conv.LastTurnBefore(p.TurnIndex, Role.Agent);
                var action = agentIndex >= 0 && actions.TryGetValue((p.ConversationId, agentIndex), out var a) ? a : null;
                var full = labels.TryGetValue((instrument, p.ConversationId, p.TurnIndex, LabelSource.RealFull), out var f) && f.Status == AnswerStatus.Ok ? f.State : null;
                var texts = includeTexts ? new ProbeTexts(agentIndex >= 0 ? conv.Turns[agentIndex].Text : "", conv.Turns[p.TurnIndex].Text, sim.Text) : null;
                rows.Add(new ProbeRow(name, p.ConversationId, converted, p.TurnIndex, p.Position,
                    real.Status == AnswerStatus.Ok ? real.State : null,
                    sim.Status == AnswerStatus.Ok && simLabel.Status == AnswerStatus.Ok ? simLabel.State : null,
                    action, status, full, null, texts));
            }
        }
        return new ProbeTable(rows, conversations, conditions);
    }

    private static SqliteCommand Command(SqliteConnection db, string sql)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }
}
