using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dfid.Analysis;
using Dfid.Corpus;
using Dfid.Instrument;
using Dfid.Models;
using Dfid.Probing;
using Dfid.Simulation;
using Microsoft.Data.Sqlite;

namespace Dfid.Store;

/// <summary>
/// The run store: one SQLite file (<c>run.sqlite</c>, WAL) per run folder holding the experiment, the manifest, the
/// sampled conversations, every probe, simulated turn, label and action label.
/// </summary>
/// <remarks>
/// Every answer is one row under a unique key and written in its own transaction, so a run killed at any point
/// (even SIGKILL) keeps everything it finished and nothing half-written. Re-running skips keys already present.
/// The one exception is <see cref="SimulationStatus.ModelError"/> / <see cref="LabelStatus.ModelError"/> rows: they
/// are kept as data but retried (and replaced) on the next run, since a dropped connection is not an answer.
/// Thread-safe: one connection, writes serialised.
/// </remarks>
public sealed class RunStore : IDisposable
{
    /// <summary>File name of the store inside a run folder.</summary>
    public const string FileName = "run.sqlite";

    /// <summary>Schema version written to the store.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Label source of the real turn.</summary>
    public const string RealSource = "real";

    /// <summary>Label source of the real turn labelled with the full conversation (hindsight check).</summary>
    public const string RealFullSource = "real_full";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly SqliteConnection _db;
    private readonly Lock _gate = new();
    private PreparedInsert? _insertSimTurn, _insertLabel, _insertAction;

    private RunStore(string path, SqliteConnection db)
    {
        FilePath = path;
        _db = db;
    }

    /// <summary>Full path of the SQLite file.</summary>
    public string FilePath { get; }

    /// <summary>Label source of a simulated turn of <paramref name="simulator"/>.</summary>
    public static string SimSource(string simulator) => "sim:" + simulator;

    /// <summary>Opens (creating if needed) the store of <paramref name="runDir"/>.</summary>
    public static RunStore Open(string runDir)
    {
        ArgumentNullException.ThrowIfNull(runDir);
        Directory.CreateDirectory(runDir);
        var path = Path.GetFullPath(Path.Combine(runDir, FileName));
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        var store = new RunStore(path, db);
        store.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;");
        store.Exec("""
            CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS conversations(id TEXT PRIMARY KEY, converted INTEGER, json TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS probes(conversation_id TEXT NOT NULL, turn_index INTEGER NOT NULL, position REAL NOT NULL,
                user_ordinal INTEGER NOT NULL, eligible INTEGER NOT NULL, PRIMARY KEY(conversation_id, turn_index));
            CREATE TABLE IF NOT EXISTS conditions(name TEXT PRIMARY KEY, simulator TEXT NOT NULL, instrument TEXT NOT NULL, ord INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS sim_turns(simulator TEXT NOT NULL, conversation_id TEXT NOT NULL, turn_index INTEGER NOT NULL,
                sample_index INTEGER NOT NULL, text TEXT, status TEXT NOT NULL, error TEXT, raw TEXT,
                model TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, latency_ms REAL, cache_hit INTEGER, attempts INTEGER,
                created_at TEXT NOT NULL, PRIMARY KEY(simulator, conversation_id, turn_index, sample_index));
            CREATE TABLE IF NOT EXISTS labels(instrument TEXT NOT NULL, conversation_id TEXT NOT NULL, turn_index INTEGER NOT NULL,
                source TEXT NOT NULL, stage INTEGER, state_json TEXT, status TEXT NOT NULL, error TEXT, raw TEXT,
                model TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, latency_ms REAL, cache_hit INTEGER, attempts INTEGER,
                created_at TEXT NOT NULL, PRIMARY KEY(instrument, conversation_id, turn_index, source));
            CREATE TABLE IF NOT EXISTS actions(labeller TEXT NOT NULL, conversation_id TEXT NOT NULL, agent_turn_index INTEGER NOT NULL,
                action TEXT, status TEXT NOT NULL, error TEXT,
                model TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, latency_ms REAL, cache_hit INTEGER, attempts INTEGER,
                created_at TEXT NOT NULL, PRIMARY KEY(labeller, conversation_id, agent_turn_index));
            """);
        store.SetMetaIfAbsent("schema", SchemaVersion.ToString(CultureInfo.InvariantCulture));
        return store;
    }

    // ---------- experiment, manifest, plan ----------

    /// <summary>
    /// Records the experiment. A run folder holds one experiment: a store whose experiment differs in what it measures
    /// (<paramref name="identity"/>: corpus, sample, probes, simulators, instruments, conditions, domain) is refused; a
    /// change of budget, concurrency or cache settings is accepted (that is how a budget stop is continued) and the
    /// latest text is kept next to the first one.
    /// </summary>
    /// <exception cref="DfidException">The folder already holds a different experiment.</exception>
    public void BindExperiment(string experimentText, string identity, string experimentPath)
    {
        ArgumentNullException.ThrowIfNull(experimentText);
        ArgumentNullException.ThrowIfNull(identity);
        var existing = GetMeta("experiment_identity");
        if (existing is null)
        {
            SetMeta("experiment_identity", identity);
            SetMeta("experiment_first", experimentText);
            SetMeta("experiment", experimentText);
            return;
        }
        if (existing != identity)
            throw new DfidException(
                $"{Path.GetDirectoryName(FilePath)} holds a run of a different experiment than {experimentPath} (only budget, concurrency and cache " +
                "may change between sessions); run it with --out NEW_FOLDER, or restore the experiment that started this run (dfid keeps its text in the store)", 2);
        SetMeta("experiment", experimentText);
    }

    /// <summary>The experiment text of the latest session, if any.</summary>
    public string? ReadExperimentText() => GetMeta("experiment");

    /// <summary>Writes (replaces) the manifest.</summary>
    public void WriteManifest(RunManifest manifest) => SetMeta("manifest", JsonSerializer.Serialize(manifest, Json));

    /// <summary>Reads the manifest, if written.</summary>
    public RunManifest? ReadManifest() => GetMeta("manifest") is { } s ? JsonSerializer.Deserialize<RunManifest>(s, Json) : null;

    /// <summary>The manifest as stored (JSON text), if written.</summary>
    public string? ReadManifestJson() => GetMeta("manifest");

    /// <summary>Stores the sampled conversations (idempotent).</summary>
    public void AddConversations(IEnumerable<Conversation> conversations)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        InTransaction(tx =>
        {
            using var cmd = Command("INSERT OR IGNORE INTO conversations(id, converted, json) VALUES ($id, $c, $j)", tx);
            foreach (var c in conversations)
            {
                Bind(cmd, ("$id", c.Id), ("$c", c.Outcome.Converted is bool b ? (b ? 1 : 0) : null), ("$j", CorpusFile.ToJsonLine(c)));
                cmd.ExecuteNonQuery();
            }
        });
    }

    /// <summary>The stored conversations, by id.</summary>
    public IReadOnlyDictionary<string, Conversation> ReadConversations()
    {
        var result = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        lock (_gate)
        {
            using var cmd = Command("SELECT json FROM conversations ORDER BY id");
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
            {
                var c = CorpusFile.ParseJsonLine(rd.GetString(0));
                result[c.Id] = c;
            }
        }
        return result;
    }

    /// <summary>Stores the probes (idempotent).</summary>
    public void AddProbes(IEnumerable<Probe> probes)
    {
        ArgumentNullException.ThrowIfNull(probes);
        InTransaction(tx =>
        {
            using var cmd = Command("INSERT OR IGNORE INTO probes VALUES ($c, $t, $p, $o, $n)", tx);
            foreach (var p in probes)
            {
                Bind(cmd, ("$c", p.ConversationId), ("$t", p.TurnIndex), ("$p", p.Position), ("$o", p.UserOrdinal), ("$n", p.EligibleUserTurns));
                cmd.ExecuteNonQuery();
            }
        });
    }

    /// <summary>The stored probes, ordered by conversation and turn.</summary>
    public IReadOnlyList<Probe> ReadProbes()
    {
        var result = new List<Probe>();
        lock (_gate)
        {
            using var cmd = Command("SELECT conversation_id, turn_index, position, user_ordinal, eligible FROM probes ORDER BY conversation_id, turn_index");
            using var rd = cmd.ExecuteReader();
            while (rd.Read()) result.Add(new Probe(rd.GetString(0), rd.GetInt32(1), rd.GetDouble(2), rd.GetInt32(3), rd.GetInt32(4)));
        }
        return result;
    }

    /// <summary>Stores the conditions (idempotent).</summary>
    public void AddConditions(IEnumerable<(string Name, string Simulator, string Instrument)> conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        InTransaction(tx =>
        {
            using var cmd = Command("INSERT OR IGNORE INTO conditions VALUES ($n, $s, $i, $o)", tx);
            var ord = 0;
            foreach (var (n, s, i) in conditions)
            {
                Bind(cmd, ("$n", n), ("$s", s), ("$i", i), ("$o", ord++));
                cmd.ExecuteNonQuery();
            }
        });
    }

    /// <summary>The conditions in experiment order.</summary>
    public IReadOnlyList<(string Name, string Simulator, string Instrument)> ReadConditions()
    {
        var result = new List<(string, string, string)>();
        lock (_gate)
        {
            using var cmd = Command("SELECT name, simulator, instrument FROM conditions ORDER BY ord");
            using var rd = cmd.ExecuteReader();
            while (rd.Read()) result.Add((rd.GetString(0), rd.GetString(1), rd.GetString(2)));
        }
        return result;
    }

    // ---------- answers ----------

    /// <summary>Records a simulated turn. An existing row is kept unless it is a model error (then it is replaced).</summary>
    public void AddSimulatedTurn(string simulator, string conversationId, int turnIndex, int sampleIndex, SimulatedTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        lock (_gate)
        {
            _insertSimTurn ??= new PreparedInsert(_db, """
                INSERT INTO sim_turns VALUES ($s, $c, $t, $k, $text, $status, $err, $raw, $m, $pt, $ct, $lat, $hit, $att, $at)
                ON CONFLICT DO UPDATE SET text=excluded.text, status=excluded.status, error=excluded.error, raw=excluded.raw,
                  model=excluded.model, prompt_tokens=excluded.prompt_tokens, completion_tokens=excluded.completion_tokens,
                  latency_ms=excluded.latency_ms, cache_hit=excluded.cache_hit, attempts=excluded.attempts, created_at=excluded.created_at
                WHERE sim_turns.status = 'ModelError'
                """);
            _insertSimTurn.Execute(turn.Call,
                simulator, conversationId, turnIndex, sampleIndex, turn.Text, turn.Status.ToString(), turn.Error, turn.RawAnswer);
        }
    }

    /// <summary>Records a label of a user turn; <paramref name="source"/> is <see cref="RealSource"/>, <see cref="RealFullSource"/> or <see cref="SimSource"/>.</summary>
    public void AddLabel(string instrument, string conversationId, int turnIndex, string source, LabelResult label)
    {
        ArgumentNullException.ThrowIfNull(label);
        lock (_gate)
        {
            _insertLabel ??= new PreparedInsert(_db, """
                INSERT INTO labels VALUES ($i, $c, $t, $src, $stage, $state, $status, $err, $raw, $m, $pt, $ct, $lat, $hit, $att, $at)
                ON CONFLICT DO UPDATE SET stage=excluded.stage, state_json=excluded.state_json, status=excluded.status, error=excluded.error,
                  raw=excluded.raw, model=excluded.model, prompt_tokens=excluded.prompt_tokens, completion_tokens=excluded.completion_tokens,
                  latency_ms=excluded.latency_ms, cache_hit=excluded.cache_hit, attempts=excluded.attempts, created_at=excluded.created_at
                WHERE labels.status = 'ModelError'
                """);
            _insertLabel.Execute(label.Call,
                instrument, conversationId, turnIndex, source,
                label.State is { } s ? (int)s.Stage : null,
                label.State is { } st ? JsonSerializer.Serialize(st, Json) : null,
                label.Status.ToString(), label.Error, label.RawAnswer);
        }
    }

    /// <summary>Records the action label of an agent turn.</summary>
    public void AddAction(string labeller, string conversationId, int agentTurnIndex, ActionLabelResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_gate)
        {
            _insertAction ??= new PreparedInsert(_db, """
                INSERT INTO actions VALUES ($l, $c, $t, $a, $status, $err, $m, $pt, $ct, $lat, $hit, $att, $at)
                ON CONFLICT DO UPDATE SET action=excluded.action, status=excluded.status, error=excluded.error, model=excluded.model,
                  prompt_tokens=excluded.prompt_tokens, completion_tokens=excluded.completion_tokens, latency_ms=excluded.latency_ms,
                  cache_hit=excluded.cache_hit, attempts=excluded.attempts, created_at=excluded.created_at
                WHERE actions.status = 'ModelError'
                """);
            _insertAction.Execute(result.Call,
                labeller, conversationId, agentTurnIndex,
                result.Action is { } a ? JsonSerializer.Serialize(a, Json).Trim('"') : null,
                result.Status.ToString(), result.Error);
        }
    }

    /// <summary>Keys of finished work (model errors excluded, so they are retried).</summary>
    public DoneKeys ReadDoneKeys()
    {
        var sims = new HashSet<(string, string, int, int)>();
        var labels = new HashSet<(string, string, int, string)>();
        var actions = new HashSet<(string, string, int)>();
        var okSims = new HashSet<(string, string, int, int)>();
        lock (_gate)
        {
            using (var cmd = Command("SELECT simulator, conversation_id, turn_index, sample_index FROM sim_turns WHERE status = 'Ok'"))
            using (var rd = cmd.ExecuteReader())
                while (rd.Read()) okSims.Add((rd.GetString(0), rd.GetString(1), rd.GetInt32(2), rd.GetInt32(3)));
            using (var cmd = Command("SELECT simulator, conversation_id, turn_index, sample_index FROM sim_turns WHERE status <> 'ModelError'"))
            using (var rd = cmd.ExecuteReader())
                while (rd.Read()) sims.Add((rd.GetString(0), rd.GetString(1), rd.GetInt32(2), rd.GetInt32(3)));
            using (var cmd = Command("SELECT instrument, conversation_id, turn_index, source FROM labels WHERE status <> 'ModelError'"))
            using (var rd = cmd.ExecuteReader())
                while (rd.Read()) labels.Add((rd.GetString(0), rd.GetString(1), rd.GetInt32(2), rd.GetString(3)));
            using (var cmd = Command("SELECT labeller, conversation_id, agent_turn_index FROM actions WHERE status <> 'ModelError'"))
            using (var rd = cmd.ExecuteReader())
                while (rd.Read()) actions.Add((rd.GetString(0), rd.GetString(1), rd.GetInt32(2)));
        }
        return new DoneKeys(sims, labels, actions, okSims);
    }

    /// <summary>The simulated turn stored for a probe, if any.</summary>
    public SimulatedTurn? ReadSimulatedTurn(string simulator, string conversationId, int turnIndex, int sampleIndex = 0)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT text, status, error, raw FROM sim_turns WHERE simulator=$s AND conversation_id=$c AND turn_index=$t AND sample_index=$k");
            Bind(cmd, ("$s", simulator), ("$c", conversationId), ("$t", turnIndex), ("$k", sampleIndex));
            using var rd = cmd.ExecuteReader();
            if (!rd.Read()) return null;
            return new SimulatedTurn(rd.IsDBNull(0) ? null : rd.GetString(0), Enum.Parse<SimulationStatus>(rd.GetString(1)),
                rd.IsDBNull(2) ? null : rd.GetString(2), null, rd.IsDBNull(3) ? null : rd.GetString(3));
        }
    }

    /// <summary>Totals over every stored answer: calls, cache hits, failures, tokens.</summary>
    public UsageTotals ReadUsage()
    {
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT COUNT(model), COALESCE(SUM(cache_hit),0), COALESCE(SUM(CASE WHEN status NOT IN ('Ok') THEN 1 ELSE 0 END),0),
                       COALESCE(SUM(prompt_tokens),0), COALESCE(SUM(completion_tokens),0)
                FROM (SELECT model, cache_hit, status, prompt_tokens, completion_tokens FROM sim_turns
                      UNION ALL SELECT model, cache_hit, status, prompt_tokens, completion_tokens FROM labels
                      UNION ALL SELECT model, cache_hit, status, prompt_tokens, completion_tokens FROM actions)
                """);
            using var rd = cmd.ExecuteReader();
            rd.Read();
            return new UsageTotals(rd.GetInt64(0), rd.GetInt64(1), rd.GetInt64(2), rd.GetInt64(3), rd.GetInt64(4));
        }
    }

    /// <summary>
    /// The probe table for the analysis: one row per (condition, probe) whose work is finished (rows still pending are
    /// left out and counted by <see cref="ReadProgress"/>). Failed answers are rows with their status, never dropped.
    /// </summary>
    /// <param name="includeTexts">Also load the agent turn, real and simulated reply (for report examples).</param>
    /// <param name="humanLabels">Maps human act annotations of real user turns to stages. Default: the PersuasionForGood
    /// mapping for conversations of that dataset (a turn without a mapped act has no human stage).</param>
    public IReadOnlyList<ProbeRow> ReadProbeRows(bool includeTexts = false, ActMapping? humanLabels = null)
    {
        var conversations = ReadConversations();
        var probes = ReadProbes();
        var conditions = ReadConditions();
        var sims = new Dictionary<(string, string, int), (string? Text, SimulationStatus Status)>();
        var labels = new Dictionary<(string, string, int, string), (DecisionState? State, LabelStatus Status)>();
        var actions = new Dictionary<(string, int), AgentAction?>();
        lock (_gate)
        {
            using (var cmd = Command("SELECT simulator, conversation_id, turn_index, text, status FROM sim_turns WHERE sample_index = 0"))
            using (var rd = cmd.ExecuteReader())
                while (rd.Read())
                    sims[(rd.GetString(0), rd.GetString(1), rd.GetInt32(2))] = (rd.IsDBNull(3) ? null : rd.GetString(3), Enum.Parse<SimulationStatus>(rd.GetString(4)));
            using (var cmd = Command("SELECT instrument, conversation_id, turn_index, source, state_json, status FROM labels"))
            using (var rd = cmd.ExecuteReader())
                while (rd.Read())
                    labels[(rd.GetString(0), rd.GetString(1), rd.GetInt32(2), rd.GetString(3))] =
                        (rd.IsDBNull(4) ? null : JsonSerializer.Deserialize<DecisionState>(rd.GetString(4), Json), Enum.Parse<LabelStatus>(rd.GetString(5)));
            using (var cmd = Command("SELECT conversation_id, agent_turn_index, action FROM actions WHERE status = 'Ok' ORDER BY labeller"))
            using (var rd = cmd.ExecuteReader())
                while (rd.Read())
                    actions.TryAdd((rd.GetString(0), rd.GetInt32(1)), rd.IsDBNull(2) ? null : JsonSerializer.Deserialize<AgentAction>("\"" + rd.GetString(2) + "\"", Json));
        }
        // Touch the default mapping only when the run has conversations of its dataset.
        if (humanLabels is null && conversations.Values.Any(c => string.Equals(c.Source.Dataset, "persuasionforgood", StringComparison.OrdinalIgnoreCase)))
            humanLabels = ActMapping.PersuasionForGood;
        var rows = new List<ProbeRow>();
        foreach (var (name, simulator, instrument) in conditions)
        {
            foreach (var p in probes)
            {
                if (!conversations.TryGetValue(p.ConversationId, out var conv) || conv.Outcome.Converted is not bool converted) continue;
                if (!sims.TryGetValue((simulator, p.ConversationId, p.TurnIndex), out var sim)) continue;
                if (!labels.TryGetValue((instrument, p.ConversationId, p.TurnIndex, RealSource), out var real)) continue;
                (DecisionState? State, LabelStatus Status) simLabel = (null, LabelStatus.Ok);
                if (sim.Status == SimulationStatus.Ok && !labels.TryGetValue((instrument, p.ConversationId, p.TurnIndex, SimSource(simulator)), out simLabel)) continue;
                var status = sim.Status != SimulationStatus.Ok ? ProbeStatus.SimulationFailed
                    : real.Status != LabelStatus.Ok ? ProbeStatus.RealLabelFailed
                    : simLabel.Status != LabelStatus.Ok ? ProbeStatus.SimLabelFailed
                    : ProbeStatus.Ok;
                var agentIndex = PreviousAgentTurn(conv, p.TurnIndex);
                var action = agentIndex >= 0 && actions.TryGetValue((p.ConversationId, agentIndex), out var a) ? a : null;
                var full = labels.TryGetValue((instrument, p.ConversationId, p.TurnIndex, RealFullSource), out var f) && f.Status == LabelStatus.Ok ? f.State : null;
                var texts = includeTexts ? new ProbeTexts(agentIndex >= 0 ? conv.Turns[agentIndex].Text : "", conv.Turns[p.TurnIndex].Text, sim.Text) : null;
                rows.Add(new ProbeRow(name, p.ConversationId, converted, p.TurnIndex, p.Position,
                    real.Status == LabelStatus.Ok ? real.State : null,
                    sim.Status == SimulationStatus.Ok && simLabel.Status == LabelStatus.Ok ? simLabel.State : null,
                    action, status, full, HumanStage(humanLabels, conv, p.TurnIndex), texts));
            }
        }
        return rows;
    }

    private static Stage? HumanStage(ActMapping? mapping, Conversation conv, int turnIndex) =>
        mapping is not null && string.Equals(conv.Source.Dataset, mapping.Dataset, StringComparison.OrdinalIgnoreCase)
        && conv.Turns[turnIndex].Annotations?.ContainsKey(mapping.StageLabelSet) == true
            ? mapping.StageOfTurn(conv, turnIndex)
            : null;

    /// <summary>Per condition: probes finished (both branches recorded, whatever their status) and probes in total.</summary>
    public IReadOnlyList<(string Condition, int Done, int Total)> ReadProgress()
    {
        var rows = ReadProbeRows();
        var total = ReadProbes().Count;
        return ReadConditions().Select(c => (c.Name, rows.Count(r => r.Condition == c.Name), total)).ToList();
    }

    /// <summary>Index of the last agent turn before <paramref name="turnIndex"/>, or −1.</summary>
    public static int PreviousAgentTurn(Conversation conversation, int turnIndex)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        for (var i = turnIndex - 1; i >= 0; i--)
            if (conversation.Turns[i].Role == Role.Agent) return i;
        return -1;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            _insertSimTurn?.Dispose();
            _insertLabel?.Dispose();
            _insertAction?.Dispose();
            _db.Dispose();
        }
    }

    // ---------- plumbing ----------

    internal string? GetMeta(string key)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT value FROM meta WHERE key = $k");
            Bind(cmd, ("$k", key));
            return cmd.ExecuteScalar() as string;
        }
    }

    internal void SetMeta(string key, string value)
    {
        lock (_gate)
        {
            using var cmd = Command("INSERT INTO meta VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
            Bind(cmd, ("$k", key), ("$v", value));
            cmd.ExecuteNonQuery();
        }
    }

    private void SetMetaIfAbsent(string key, string value)
    {
        lock (_gate)
        {
            using var cmd = Command("INSERT OR IGNORE INTO meta VALUES ($k, $v)");
            Bind(cmd, ("$k", key), ("$v", value));
            cmd.ExecuteNonQuery();
        }
    }

    private void Exec(string sql)
    {
        lock (_gate)
        {
            using var cmd = Command(sql);
            cmd.ExecuteNonQuery();
        }
    }

    private void InTransaction(Action<SqliteTransaction> work)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            work(tx);
            tx.Commit();
        }
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private static void Bind(SqliteCommand cmd, params (string Name, object? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            if (cmd.Parameters.Contains(name)) cmd.Parameters[name].Value = value ?? DBNull.Value;
            else cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }

    /// <summary>
    /// An insert run for every answer: prepared once and reused (under the store's lock), its parameters set by position.
    /// Preparing per row (SQLite parses and plans the statement) and looking parameters up by name (a linear search per
    /// parameter in <see cref="SqliteParameterCollection"/>) cost more CPU than the insert itself.
    /// </summary>
    private sealed class PreparedInsert : IDisposable
    {
        private readonly SqliteCommand _command;

        public PreparedInsert(SqliteConnection db, string sql)
        {
            _command = db.CreateCommand();
            _command.CommandText = sql;
            // One parameter per placeholder, in the order of the VALUES list.
            var open = sql.IndexOf("VALUES (", StringComparison.Ordinal) + "VALUES (".Length;
            var values = sql[open..sql.IndexOf(')', open)];
            foreach (var name in values.Split(',', StringSplitOptions.TrimEntries)) _command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
            _command.Prepare();
        }

        /// <summary>Inserts <paramref name="values"/>, then the columns every answer table ends with: the model call's
        /// model, tokens, latency, cache hit and attempts, and the time of the insert.</summary>
        public void Execute(ModelCall? call, params ReadOnlySpan<object?> values)
        {
            var parameters = _command.Parameters;
            object?[] tail = [call?.Model, call?.PromptTokens, call?.CompletionTokens, call?.LatencyMs,
                call is null ? null : call.CacheHit ? 1 : 0, call?.Attempts, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)];
            if (values.Length + tail.Length != parameters.Count)
                throw new ArgumentException($"{parameters.Count - tail.Length} values expected, got {values.Length}", nameof(values));
            for (var i = 0; i < values.Length; i++) parameters[i].Value = values[i] ?? DBNull.Value;
            for (var i = 0; i < tail.Length; i++) parameters[values.Length + i].Value = tail[i] ?? DBNull.Value;
            _command.ExecuteNonQuery();
        }

        public void Dispose() => _command.Dispose();
    }
}

/// <summary>Keys of finished work in a run store.</summary>
/// <param name="SimulatedTurns">(simulator, conversation, turn, sample).</param>
/// <param name="Labels">(instrument, conversation, turn, source).</param>
/// <param name="Actions">(labeller, conversation, agent turn).</param>
/// <param name="SuccessfulSimulations">The simulated turns whose status is Ok (they need a label).</param>
public sealed record DoneKeys(
    IReadOnlySet<(string, string, int, int)> SimulatedTurns,
    IReadOnlySet<(string, string, int, string)> Labels,
    IReadOnlySet<(string, string, int)> Actions,
    IReadOnlySet<(string, string, int, int)>? SuccessfulSimulations = null);

/// <summary>Totals over the stored answers.</summary>
/// <param name="ModelCalls">Answers that came from a model (cache hits included).</param>
/// <param name="CacheHits">Answers served from the response cache.</param>
/// <param name="Failures">Answers whose status is not Ok.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
public sealed record UsageTotals(long ModelCalls, long CacheHits, long Failures, long PromptTokens, long CompletionTokens);
