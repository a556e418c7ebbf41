using System.Globalization;
using System.Text.Json;
using Dfid.Corpus;

namespace Dfid.Store;

/// <summary>One stored step of a rollout: a simulated user turn or an agent turn, with its answer.</summary>
/// <param name="Step">0-based step after the real prefix; user steps are even, agent steps odd.</param>
/// <param name="Role"><see cref="Role.User"/> or <see cref="Role.Agent"/>.</param>
/// <param name="Answer">The answer (text, status, error, raw; no model call on read).</param>
public sealed record RolloutStep(int Step, Role Role, Answer<string> Answer);

/// <summary>The key of one rollout: a condition, a conversation and a sample.</summary>
/// <param name="Condition">Condition name.</param>
/// <param name="ConversationId">Conversation id.</param>
/// <param name="Sample">Sample index.</param>
public readonly record struct RolloutKey(string Condition, string ConversationId, int Sample);

/// <summary>How a finished rollout ended, as stored.</summary>
/// <param name="StartTurn">Index of the first replaced real user turn.</param>
/// <param name="End">How it ended.</param>
/// <param name="UserTurns">Simulated user turns written.</param>
/// <param name="Cap">The user-turn cap it ran under.</param>
public sealed record RolloutRecord(int StartTurn, RolloutEnd End, int UserTurns, int Cap);

public sealed partial class RunStore
{
    private PreparedInsert? _insertRolloutStep;

    /// <summary>The label source of a rollout's simulated user turns (turn index: the step's place after the real prefix).</summary>
    public static string RolloutSource(string condition, int sample) =>
        "rollout:" + condition + "#" + sample.ToString(CultureInfo.InvariantCulture);

    private void CreateRolloutTables() => Exec("""
        CREATE TABLE IF NOT EXISTS rollout_steps(condition TEXT NOT NULL, conversation_id TEXT NOT NULL, sample INTEGER NOT NULL, step INTEGER NOT NULL,
            role TEXT NOT NULL, text TEXT, status TEXT NOT NULL, error TEXT, raw TEXT,
            model TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, latency_ms REAL, cache_hit INTEGER, attempts INTEGER,
            created_at TEXT NOT NULL, PRIMARY KEY(condition, conversation_id, sample, step));
        CREATE TABLE IF NOT EXISTS rollouts(condition TEXT NOT NULL, conversation_id TEXT NOT NULL, sample INTEGER NOT NULL,
            start_turn INTEGER NOT NULL, end TEXT NOT NULL, user_turns INTEGER NOT NULL, cap INTEGER NOT NULL, created_at TEXT NOT NULL,
            PRIMARY KEY(condition, conversation_id, sample));
        """);

    /// <inheritdoc/>
    /// <remarks>An existing row is kept unless it is a model error (then it is replaced).</remarks>
    public void AddRolloutStep(RolloutKey key, int step, Role role, Answer<string> answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        lock (_gate)
        {
            _insertRolloutStep ??= new PreparedInsert(_db, """
                INSERT INTO rollout_steps VALUES ($c, $v, $k, $s, $r, $text, $status, $err, $raw, $m, $pt, $ct, $lat, $hit, $att, $at)
                ON CONFLICT DO UPDATE SET text=excluded.text, status=excluded.status, error=excluded.error, raw=excluded.raw,
                  model=excluded.model, prompt_tokens=excluded.prompt_tokens, completion_tokens=excluded.completion_tokens,
                  latency_ms=excluded.latency_ms, cache_hit=excluded.cache_hit, attempts=excluded.attempts, created_at=excluded.created_at
                WHERE rollout_steps.status = 'ModelError'
                """);
            _insertRolloutStep.Execute(answer.Call, Now(),
                key.Condition, key.ConversationId, key.Sample, step, role == Role.User ? "user" : "agent",
                answer.Value, answer.Status.ToString(), answer.Error, answer.RawAnswer);
        }
    }

    /// <summary>Records how a rollout ended (once; it is then finished for every later session).</summary>
    public void EndRollout(RolloutKey key, RolloutRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            using var cmd = Command("INSERT OR IGNORE INTO rollouts VALUES ($c, $v, $k, $s, $e, $u, $cap, $at)");
            Bind(cmd, ("$c", key.Condition), ("$v", key.ConversationId), ("$k", key.Sample), ("$s", record.StartTurn),
                ("$e", StateNames.NameOf(record.End)), ("$u", record.UserTurns), ("$cap", record.Cap), ("$at", Now()));
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>The finished rollouts by key.</summary>
    public IReadOnlyDictionary<RolloutKey, RolloutRecord> ReadRollouts()
    {
        var result = new Dictionary<RolloutKey, RolloutRecord>();
        lock (_gate)
        {
            using var cmd = Command("SELECT condition, conversation_id, sample, start_turn, end, user_turns, cap FROM rollouts");
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
            {
                StateNames.TryParseGeneric(rd.GetString(4), out RolloutEnd end);
                result[new RolloutKey(rd.GetString(0), rd.GetString(1), rd.GetInt32(2))] = new RolloutRecord(rd.GetInt32(3), end, rd.GetInt32(5), rd.GetInt32(6));
            }
        }
        return result;
    }

    /// <summary>The stored steps of every rollout (model errors included, so a session can redo them), in step order.</summary>
    public IReadOnlyDictionary<RolloutKey, IReadOnlyList<RolloutStep>> ReadRolloutSteps()
    {
        var result = new Dictionary<RolloutKey, List<RolloutStep>>();
        lock (_gate)
        {
            using var cmd = Command("SELECT condition, conversation_id, sample, step, role, text, status, error, raw FROM rollout_steps ORDER BY condition, conversation_id, sample, step");
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
            {
                var key = new RolloutKey(rd.GetString(0), rd.GetString(1), rd.GetInt32(2));
                if (!result.TryGetValue(key, out var steps)) result[key] = steps = [];
                steps.Add(new RolloutStep(rd.GetInt32(3), rd.GetString(4) == "user" ? Role.User : Role.Agent,
                    new Answer<string>(rd.IsDBNull(5) ? null : rd.GetString(5), Enum.Parse<AnswerStatus>(rd.GetString(6)),
                        rd.IsDBNull(7) ? null : rd.GetString(7), null, rd.IsDBNull(8) ? null : rd.GetString(8))));
            }
        }
        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<RolloutStep>)kv.Value);
    }

    /// <summary>The labels of one source (e.g. a rollout's), by turn index: the state, or null when labelling failed.</summary>
    public IReadOnlyDictionary<(string Instrument, string ConversationId, string Source), IReadOnlyDictionary<int, DecisionState?>> ReadLabelsOfSources(string prefix)
    {
        var result = new Dictionary<(string, string, string), Dictionary<int, DecisionState?>>();
        lock (_gate)
        {
            using var cmd = Command("SELECT instrument, conversation_id, source, turn_index, state_json, status FROM labels WHERE source LIKE $p || '%' AND status <> 'ModelError'");
            Bind(cmd, ("$p", prefix));
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
            {
                var key = (rd.GetString(0), rd.GetString(1), rd.GetString(2));
                if (!result.TryGetValue(key, out var byTurn)) result[key] = byTurn = [];
                byTurn[rd.GetInt32(3)] = rd.GetString(5) == "Ok" && !rd.IsDBNull(4) ? JsonSerializer.Deserialize<DecisionState>(rd.GetString(4), Json) : null;
            }
        }
        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<int, DecisionState?>)kv.Value);
    }
}
