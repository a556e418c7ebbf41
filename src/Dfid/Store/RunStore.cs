using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dfid.Corpus;
using Microsoft.Data.Sqlite;

namespace Dfid.Store;

/// <summary>
/// The run store: one SQLite file (<c>run.sqlite</c>, WAL) per run folder holding the experiment, the manifest, the
/// sampled conversations, every probe, simulated turn, label and action label.
/// </summary>
/// <remarks>
/// Every answer is one row under a unique key and written in its own transaction, so a run killed at any point
/// (even SIGKILL) keeps everything it finished and nothing half-written. Re-running skips keys already present.
/// The one exception is <see cref="AnswerStatus.ModelError"/> rows: they are kept as data but retried (and replaced) on
/// the next run, since a dropped connection is not an answer. Thread-safe: one connection, writes serialised.
/// </remarks>
public sealed partial class RunStore : IRunStoreWriter, IProbeTableReader, IDisposable
{
    /// <summary>File name of the store inside a run folder.</summary>
    public const string FileName = "run.sqlite";

    /// <summary>Schema version written to the store.</summary>
    public const int SchemaVersion = 1;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly SqliteConnection _db;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private PreparedInsert? _insertSimTurn, _insertLabel, _insertAction;

    private RunStore(string path, SqliteConnection db, TimeProvider time)
    {
        FilePath = path;
        _db = db;
        _time = time;
    }

    /// <summary>Full path of the SQLite file.</summary>
    public string FilePath { get; }

    /// <summary>Opens (creating if needed) the store of <paramref name="runDir"/>.</summary>
    /// <param name="runDir">The run folder.</param>
    /// <param name="time">Clock of the rows' <c>created_at</c> stamps (default: the system clock).</param>
    public static RunStore Open(string runDir, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(runDir);
        Directory.CreateDirectory(runDir);
        var path = Path.GetFullPath(Path.Combine(runDir, FileName));
        var store = new RunStore(path, SqliteFile.Open(path), time ?? TimeProvider.System);
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
        // Columns added after schema 1 (stores written by earlier versions gain them with their defaults).
        store.AddColumnIfMissing("probes", "kind", "TEXT NOT NULL DEFAULT 'depth'");
        store.AddColumnIfMissing("conditions", "mode", "TEXT NOT NULL DEFAULT 'probe'");
        store.AddColumnIfMissing("conditions", "agent", "TEXT");
        store.AddColumnIfMissing("conditions", "depth_key", "TEXT");
        store.AddColumnIfMissing("conditions", "exit_key", "TEXT");
        store.CreateRolloutTables();
        store.SetMetaIfAbsent("schema", SchemaVersion.ToString(CultureInfo.InvariantCulture));
        store.CreateBatchTables();
        return store;
    }

    // ---------- experiment, manifest, plan ----------

    /// <summary>
    /// Records the experiment. A run folder holds one experiment: a store whose experiment differs in what it measures
    /// (<paramref name="identity"/>: corpus, sample, probes, simulators, instruments, conditions, domain) is refused; a
    /// change of budget, concurrency or cache settings is accepted (that is how a budget stop is continued) and the
    /// latest text is kept next to the first one.
    /// </summary>
    /// <param name="experimentText">The experiment's text.</param>
    /// <param name="identity">What the experiment measures, as canonical text.</param>
    /// <param name="experimentPath">The experiment file, for the refusal message.</param>
    /// <param name="identityOfText">The identity of an experiment text as this version computes it (null when the text no
    /// longer parses): a store written by an earlier version whose identity had another shape is the same experiment when
    /// its first text gives this identity now; its stored identity is then brought up to date.</param>
    /// <exception cref="DfidException">The folder already holds a different experiment.</exception>
    public void BindExperiment(string experimentText, string identity, string experimentPath, Func<string, string?>? identityOfText = null)
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
        {
            if (identityOfText is null || GetMeta("experiment_first") is not { } first || identityOfText(first) != identity)
                throw new DfidException(
                    $"{Path.GetDirectoryName(FilePath)} holds a run of a different experiment than {experimentPath} (only budget, concurrency and cache " +
                    "may change between sessions); run it with --out NEW_FOLDER, or restore the experiment that started this run (dfid keeps its text in the store)", 2);
            SetMeta("experiment_identity", identity);
        }
        SetMeta("experiment", experimentText);
    }

    /// <summary>Writes (replaces) the manifest.</summary>
    public void WriteManifest(RunManifest manifest) => SetMeta("manifest", JsonSerializer.Serialize(manifest, Json));

    /// <summary>Reads the manifest, if written.</summary>
    public RunManifest? ReadManifest() => GetMeta("manifest") is { } s ? JsonSerializer.Deserialize<RunManifest>(s, Json) : null;

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
            using var cmd = Command("INSERT OR IGNORE INTO probes(conversation_id, turn_index, position, user_ordinal, eligible, kind) VALUES ($c, $t, $p, $o, $n, $k)", tx);
            foreach (var p in probes)
            {
                Bind(cmd, ("$c", p.ConversationId), ("$t", p.TurnIndex), ("$p", p.Position), ("$o", p.UserOrdinal), ("$n", p.EligibleUserTurns),
                    ("$k", p.Kind == ProbeKind.Exit ? "exit" : "depth"));
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
            using var cmd = Command("SELECT conversation_id, turn_index, position, user_ordinal, eligible, kind FROM probes ORDER BY conversation_id, turn_index");
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
                result.Add(new Probe(rd.GetString(0), rd.GetInt32(1), rd.GetDouble(2), rd.GetInt32(3), rd.GetInt32(4))
                {
                    Kind = rd.GetString(5) == "exit" ? ProbeKind.Exit : ProbeKind.Depth,
                });
        }
        return result;
    }

    /// <summary>Stores probe conditions (idempotent): name, simulator, instrument.</summary>
    public void AddConditions(IEnumerable<(string Name, string Simulator, string Instrument)> conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        AddConditions(conditions.Select(c => new StoredCondition(c.Name, c.Simulator, c.Instrument)));
    }

    /// <summary>Stores the conditions with their mode, agent and store keys (idempotent).</summary>
    public void AddConditions(IEnumerable<StoredCondition> conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        InTransaction(tx =>
        {
            using var cmd = Command(
                "INSERT OR IGNORE INTO conditions(name, simulator, instrument, ord, mode, agent, depth_key, exit_key) VALUES ($n, $s, $i, $o, $m, $a, $d, $e)", tx);
            var ord = 0;
            foreach (var c in conditions)
            {
                Bind(cmd, ("$n", c.Name), ("$s", c.Simulator), ("$i", c.Instrument), ("$o", ord++),
                    ("$m", c.Mode == ConditionMode.Rollout ? "rollout" : "probe"), ("$a", c.Agent), ("$d", c.DepthKey), ("$e", c.ExitKey));
                cmd.ExecuteNonQuery();
            }
        });
    }

    /// <summary>The conditions in experiment order.</summary>
    public IReadOnlyList<StoredCondition> ReadConditions()
    {
        var result = new List<StoredCondition>();
        lock (_gate)
        {
            using var cmd = Command("SELECT name, simulator, instrument, mode, agent, depth_key, exit_key FROM conditions ORDER BY ord");
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
                result.Add(new StoredCondition(rd.GetString(0), rd.GetString(1), rd.GetString(2))
                {
                    Mode = rd.GetString(3) == "rollout" ? ConditionMode.Rollout : ConditionMode.Probe,
                    Agent = rd.IsDBNull(4) ? null : rd.GetString(4),
                    DepthKey = rd.IsDBNull(5) ? rd.GetString(1) : rd.GetString(5),
                    ExitKey = rd.IsDBNull(6) ? null : rd.GetString(6),
                });
        }
        return result;
    }

    // ---------- answers ----------

    /// <inheritdoc/>
    public void AddSimulatedTurn(string simulator, string conversationId, int turnIndex, int sampleIndex, Answer<string> turn)
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
            _insertSimTurn.Execute(turn.Call, Now(),
                simulator, conversationId, turnIndex, sampleIndex, turn.Value, turn.Status.ToString(), turn.Error, turn.RawAnswer);
        }
    }

    /// <inheritdoc/>
    public void AddLabel(string instrument, string conversationId, int turnIndex, string source, Answer<DecisionState> label)
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
            _insertLabel.Execute(label.Call, Now(),
                instrument, conversationId, turnIndex, source,
                label.IsOk && label.Value is { } s ? (int)s.Stage : null,
                label.IsOk && label.Value is { } st ? JsonSerializer.Serialize(st, Json) : null,
                label.Status.ToString(), label.Error, label.RawAnswer);
        }
    }

    /// <inheritdoc/>
    public void AddAction(string labeller, string conversationId, int agentTurnIndex, Answer<AgentAction> result)
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
            _insertAction.Execute(result.Call, Now(),
                labeller, conversationId, agentTurnIndex,
                result.IsOk ? JsonSerializer.Serialize(result.Value, Json).Trim('"') : null,
                result.Status.ToString(), result.Error);
        }
    }

    /// <summary>Keys of finished work (model errors excluded, so they are retried).</summary>
    internal DoneKeys ReadDoneKeys()
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
    public Answer<string>? ReadSimulatedTurn(string simulator, string conversationId, int turnIndex, int sampleIndex = 0)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT text, status, error, raw FROM sim_turns WHERE simulator=$s AND conversation_id=$c AND turn_index=$t AND sample_index=$k");
            Bind(cmd, ("$s", simulator), ("$c", conversationId), ("$t", turnIndex), ("$k", sampleIndex));
            using var rd = cmd.ExecuteReader();
            if (!rd.Read()) return null;
            return new Answer<string>(rd.IsDBNull(0) ? null : rd.GetString(0), Enum.Parse<AnswerStatus>(rd.GetString(1)),
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

    /// <inheritdoc/>
    public ProbeTable ReadProbeTable(bool includeTexts = false)
    {
        lock (_gate) return ProbeTableQuery.Read(_db, includeTexts, ReadConversations(), ReadProbes(), ReadConditions(), ReadRollouts(), ReadRolloutSteps());
    }

    /// <summary>
    /// A short digest of everything a run's results depend on (answers, their statuses, the plan): equal digests mean the
    /// probe table is the same, so results computed from it are still current.
    /// </summary>
    public string ReadContentStamp()
    {
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT (SELECT COUNT(*) || ':' || COALESCE(MAX(created_at), '') || ':' || COALESCE(SUM(status = 'Ok'), 0) FROM sim_turns) || '|' ||
                       (SELECT COUNT(*) || ':' || COALESCE(MAX(created_at), '') || ':' || COALESCE(SUM(status = 'Ok'), 0) FROM labels) || '|' ||
                       (SELECT COUNT(*) || ':' || COALESCE(MAX(created_at), '') || ':' || COALESCE(SUM(status = 'Ok'), 0) FROM actions) || '|' ||
                       (SELECT COUNT(*) || ':' || COALESCE(MAX(created_at), '') FROM rollout_steps) || '|' ||
                       (SELECT COUNT(*) || ':' || COALESCE(MAX(created_at), '') FROM rollouts) || '|' ||
                       (SELECT COUNT(*) FROM probes) || '|' || (SELECT COUNT(*) FROM conditions)
                """);
            var text = (string)cmd.ExecuteScalar()!;
            return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            _insertSimTurn?.Dispose();
            _insertLabel?.Dispose();
            _insertAction?.Dispose();
            _insertRolloutStep?.Dispose();
            _db.Dispose();
        }
    }

    // ---------- plumbing ----------

    private string Now() => _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

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

    private void AddColumnIfMissing(string table, string column, string definition)
    {
        lock (_gate)
        {
            using (var check = Command($"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'"))
                if ((long)check.ExecuteScalar()! > 0) return;
            using var cmd = Command($"ALTER TABLE {table} ADD COLUMN {column} {definition}");
            cmd.ExecuteNonQuery();
        }
    }

    private void Exec(string sql)
    {
        lock (_gate) SqliteFile.Execute(_db, sql);
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

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null) => SqliteFile.Command(_db, sql, tx);

    private static void Bind(SqliteCommand cmd, params (string Name, object? Value)[] values) => SqliteFile.Bind(cmd, values);

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
        public void Execute(ModelCall? call, string createdAt, params ReadOnlySpan<object?> values)
        {
            var parameters = _command.Parameters;
            object?[] tail = [call?.Model, call?.PromptTokens, call?.CompletionTokens, call?.LatencyMs,
                call is null ? null : call.CacheHit ? 1 : 0, call?.Attempts, createdAt];
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
internal sealed record DoneKeys(
    IReadOnlySet<(string, string, int, int)> SimulatedTurns,
    IReadOnlySet<(string, string, int, string)> Labels,
    IReadOnlySet<(string, string, int)> Actions,
    IReadOnlySet<(string, string, int, int)> SuccessfulSimulations);

/// <summary>Totals over the stored answers.</summary>
/// <param name="ModelCalls">Answers that came from a model (cache hits included).</param>
/// <param name="CacheHits">Answers served from the response cache.</param>
/// <param name="Failures">Answers whose status is not Ok.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
public sealed record UsageTotals(long ModelCalls, long CacheHits, long Failures, long PromptTokens, long CompletionTokens);
