using System.Text.Json;
using Dfid.Corpus;
using Microsoft.Data.Sqlite;

namespace Dfid.Store;

/// <summary>The join of probes, simulated turns, labels and action labels into the probe table (one pass over each table).</summary>
internal static class ProbeTableQuery
{
    public static ProbeTable Read(SqliteConnection db, bool includeTexts, IReadOnlyDictionary<string, Conversation> conversations,
        IReadOnlyList<Probe> probes, IReadOnlyList<StoredCondition> conditions,
        IReadOnlyDictionary<RolloutKey, RolloutRecord> rollouts, IReadOnlyDictionary<RolloutKey, IReadOnlyList<RolloutStep>> steps)
    {
        var sims = new Dictionary<(string, string, int), (string? Text, AnswerStatus Status)>();
        var gates = new Dictionary<(string, string, int), string>();
        var labels = new Dictionary<(string, string, int, string), (DecisionState? State, AnswerStatus Status)>();
        var actions = new Dictionary<(string, int), AgentAction?>();
        // A gated simulator's first raw line is its drawn state ("gate: state=… p=…"); only that line is read.
        using (var cmd = Command(db, "SELECT simulator, conversation_id, turn_index, text, status, " +
            "CASE WHEN raw LIKE 'gate: %' THEN substr(raw, 1, instr(raw || char(10), char(10)) - 1) END FROM sim_turns WHERE sample_index = 0"))
        using (var rd = cmd.ExecuteReader())
            while (rd.Read())
            {
                sims[(rd.GetString(0), rd.GetString(1), rd.GetInt32(2))] = (rd.IsDBNull(3) ? null : rd.GetString(3), Enum.Parse<AnswerStatus>(rd.GetString(4)));
                if (includeTexts && !rd.IsDBNull(5)) gates[(rd.GetString(0), rd.GetString(1), rd.GetInt32(2))] = rd.GetString(5);
            }
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
        foreach (var condition in conditions.Where(c => c.Mode == ConditionMode.Probe))
        {
            var (name, instrument) = (condition.Name, condition.Instrument);
            var simulator = condition.DepthKey ?? condition.Simulator;
            foreach (var p in probes.Where(p => p.Kind == ProbeKind.Depth))
            {
                if (!conversations.TryGetValue(p.ConversationId, out var conv) || conv.Outcome.Converted is not bool converted) continue;
                if (!sims.TryGetValue((simulator, p.ConversationId, p.TurnIndex), out var sim)) continue;
                // Leaving at a depth probe (the exit channel offered there too) is the far end of resisting: no text to label.
                if (sim.Status == AnswerStatus.Exit) sim = (null, AnswerStatus.Ok);
                var exited = sim.Text is null && sim.Status == AnswerStatus.Ok;
                if (!labels.TryGetValue((instrument, p.ConversationId, p.TurnIndex, LabelSource.Real), out var real)) continue;
                (DecisionState? State, AnswerStatus Status) simLabel = (exited ? Exited : null, AnswerStatus.Ok);
                if (sim.Status == AnswerStatus.Ok && !exited && !labels.TryGetValue((instrument, p.ConversationId, p.TurnIndex, LabelSource.Simulated(simulator)), out simLabel)) continue;
                var status = sim.Status != AnswerStatus.Ok ? ProbeStatus.SimulationFailed
                    : real.Status != AnswerStatus.Ok ? ProbeStatus.RealLabelFailed
                    : simLabel.Status != AnswerStatus.Ok ? ProbeStatus.SimLabelFailed
                    : ProbeStatus.Ok;
                var agentIndex = conv.LastTurnBefore(p.TurnIndex, Role.Agent);
                var action = agentIndex >= 0 && actions.TryGetValue((p.ConversationId, agentIndex), out var a) ? a : null;
                var full = labels.TryGetValue((instrument, p.ConversationId, p.TurnIndex, LabelSource.RealFull), out var f) && f.Status == AnswerStatus.Ok ? f.State : null;
                var texts = includeTexts ? new ProbeTexts(agentIndex >= 0 ? conv.Turns[agentIndex].Text : "", conv.Turns[p.TurnIndex].Text, sim.Text,
                    gates.GetValueOrDefault((simulator, p.ConversationId, p.TurnIndex))) : null;
                rows.Add(new ProbeRow(name, p.ConversationId, converted, p.TurnIndex, p.Position,
                    real.Status == AnswerStatus.Ok ? real.State : null,
                    sim.Status == AnswerStatus.Ok && simLabel.Status == AnswerStatus.Ok ? simLabel.State : null,
                    action, status, full, null, texts));
            }
        }
        return new ProbeTable(rows, conversations, conditions)
        {
            ExitRows = ExitRows(conversations, probes, conditions, sims),
            Rollouts = RolloutRows(conversations, conditions, labels, rollouts, steps),
            RolloutTurns = RolloutTurns(conditions, labels, rollouts, steps, includeTexts),
            RealContinuations = includeTexts ? RealContinuations(conversations, conditions, labels, rollouts) : [],
        };
    }

    /// <summary>The first raw line of a gated simulator's answer (its drawn state), or null.</summary>
    private static string? GateLine(string? raw) =>
        raw is not null && raw.StartsWith("gate: ", StringComparison.Ordinal) ? raw.Split('\n', 2)[0] : null;

    /// <summary>The state of a simulated user who left at a depth probe.</summary>
    private static readonly DecisionState Exited = new(Stage.Resisting, KeySignal: "[LEAVE]");

    private static List<ExitProbeRow> ExitRows(IReadOnlyDictionary<string, Conversation> conversations, IReadOnlyList<Probe> probes,
        IReadOnlyList<StoredCondition> conditions, Dictionary<(string, string, int), (string? Text, AnswerStatus Status)> sims)
    {
        var rows = new List<ExitProbeRow>();
        foreach (var c in conditions.Where(c => c.Mode == ConditionMode.Probe && c.ExitKey is not null))
            foreach (var p in probes)
            {
                if (!conversations.TryGetValue(p.ConversationId, out var conv) || conv.Outcome.Converted is not bool converted) continue;
                if (!sims.TryGetValue((c.ExitKey!, p.ConversationId, p.TurnIndex), out var sim)) continue;
                var answered = sim.Status is AnswerStatus.Ok or AnswerStatus.Exit;
                rows.Add(new ExitProbeRow(c.Name, p.ConversationId, converted, p.TurnIndex, p.Position, p.Kind == ProbeKind.Exit,
                    answered ? sim.Status == AnswerStatus.Exit : null, answered ? ProbeStatus.Ok : ProbeStatus.SimulationFailed));
            }
        return rows;
    }

    private static List<RolloutRow> RolloutRows(IReadOnlyDictionary<string, Conversation> conversations, IReadOnlyList<StoredCondition> conditions,
        Dictionary<(string, string, int, string), (DecisionState? State, AnswerStatus Status)> labels,
        IReadOnlyDictionary<RolloutKey, RolloutRecord> rollouts, IReadOnlyDictionary<RolloutKey, IReadOnlyList<RolloutStep>> steps)
    {
        var instrumentOf = conditions.ToDictionary(c => c.Name, c => c.Instrument, StringComparer.Ordinal);
        var rows = new List<RolloutRow>();
        foreach (var (key, record) in rollouts.OrderBy(r => r.Key.Condition, StringComparer.Ordinal).ThenBy(r => r.Key.ConversationId, StringComparer.Ordinal).ThenBy(r => r.Key.Sample))
        {
            if (!conversations.TryGetValue(key.ConversationId, out var conv) || conv.Outcome.Converted is not bool converted) continue;
            if (!instrumentOf.TryGetValue(key.Condition, out var instrument)) continue;
            var source = RunStore.RolloutSource(key.Condition, key.Sample);
            var simStages = (steps.GetValueOrDefault(key) ?? [])
                .Where(s => s.Role == Role.User && s.Answer.IsOk)
                .Select(s => StageOf(labels, (instrument, key.ConversationId, record.StartTurn + s.Step, source)))
                .ToList();
            var real = Probing.ProbeSelector.UserTurnsFrom(conv, record.StartTurn, int.MaxValue);
            var realStages = real.Take(record.Cap).Select(t => StageOf(labels, (instrument, key.ConversationId, t, LabelSource.Real))).ToList();
            rows.Add(new RolloutRow(key.Condition, key.ConversationId, converted, key.Sample, record.StartTurn, record.Cap, record.UserTurns, record.End,
                simStages, real.Count, Probing.ProbeSelector.ExitPoint(conv) is not null, realStages));
        }
        return rows;
    }

    // The real turns from each rollout's start (at most its cap of user turns), with the stages of the first rollout
    // condition's instrument: what a rollout is shown beside.
    private static List<RealContinuation> RealContinuations(IReadOnlyDictionary<string, Conversation> conversations, IReadOnlyList<StoredCondition> conditions,
        Dictionary<(string, string, int, string), (DecisionState? State, AnswerStatus Status)> labels, IReadOnlyDictionary<RolloutKey, RolloutRecord> rollouts)
    {
        var instrument = conditions.FirstOrDefault(c => c.Mode == ConditionMode.Rollout)?.Instrument;
        var result = new List<RealContinuation>();
        foreach (var (id, record) in rollouts.Select(r => (r.Key.ConversationId, r.Value)).DistinctBy(r => r.ConversationId).OrderBy(r => r.ConversationId, StringComparer.Ordinal))
        {
            if (!conversations.TryGetValue(id, out var conv)) continue;
            var start = record.StartTurn;
            var agent = conv.LastTurnBefore(start, Role.Agent);
            var users = 0;
            var turns = new List<ContinuationTurn>();
            for (var i = start; i < conv.Turns.Length && users < record.Cap; i++)
            {
                var t = conv.Turns[i];
                if (t.Role == Role.System) continue;
                if (t.Role == Role.User) users++;
                turns.Add(new ContinuationTurn(t.Role == Role.User ? "user" : "agent", t.Text,
                    t.Role == Role.User && instrument is not null ? StageOf(labels, (instrument, id, i, LabelSource.Real)) : null));
            }
            result.Add(new RealContinuation(id, start, agent >= 0 ? conv.Turns[agent].Text : null, turns));
        }
        return result;
    }

    private static List<RolloutTurn> RolloutTurns(IReadOnlyList<StoredCondition> conditions,
        Dictionary<(string, string, int, string), (DecisionState? State, AnswerStatus Status)> labels,
        IReadOnlyDictionary<RolloutKey, RolloutRecord> rollouts, IReadOnlyDictionary<RolloutKey, IReadOnlyList<RolloutStep>> steps, bool includeTexts)
    {
        var instrumentOf = conditions.ToDictionary(c => c.Name, c => c.Instrument, StringComparer.Ordinal);
        var turns = new List<RolloutTurn>();
        foreach (var (key, stepList) in steps.OrderBy(r => r.Key.Condition, StringComparer.Ordinal).ThenBy(r => r.Key.ConversationId, StringComparer.Ordinal).ThenBy(r => r.Key.Sample))
        {
            var start = rollouts.TryGetValue(key, out var r) ? r.StartTurn : (int?)null;
            var source = RunStore.RolloutSource(key.Condition, key.Sample);
            foreach (var s in stepList)
            {
                Stage? stage = s.Role == Role.User && s.Answer.IsOk && start is { } st && instrumentOf.TryGetValue(key.Condition, out var inst)
                    ? StageOf(labels, (inst, key.ConversationId, st + s.Step, source))
                    : null;
                turns.Add(new RolloutTurn(key.Condition, key.ConversationId, key.Sample, s.Step, s.Role == Role.User ? "user" : "agent",
                    includeTexts ? s.Answer.Value : null, stage, StateNames.NameOf(s.Answer.Status), includeTexts ? GateLine(s.Answer.RawAnswer) : null));
            }
        }
        return turns;
    }

    private static Stage? StageOf(Dictionary<(string, string, int, string), (DecisionState? State, AnswerStatus Status)> labels, (string, string, int, string) key) =>
        labels.TryGetValue(key, out var l) && l.Status == AnswerStatus.Ok ? l.State?.Stage : null;

    private static SqliteCommand Command(SqliteConnection db, string sql)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }
}
