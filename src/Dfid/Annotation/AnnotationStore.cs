using System.Globalization;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Instrument;
using Microsoft.Data.Sqlite;

namespace Dfid.Annotation;

/// <summary>What an annotator did: label a task, skip it, or undo the last label or skip.</summary>
internal enum AnnotationEventKind
{
    /// <summary>A stage (and action) for a task.</summary>
    Label,
    /// <summary>The task was passed over; it stays unlabelled and is not shown again (unless the skip is undone).</summary>
    Skip,
    /// <summary>The annotator's last label or skip was withdrawn (it stays in the history).</summary>
    Undo,
}

/// <summary>One entry of an annotator's history; nothing is ever deleted.</summary>
/// <param name="Id">Increasing id in the store.</param>
/// <param name="Annotator">Who did it.</param>
/// <param name="Kind">Label, skip or undo.</param>
/// <param name="TaskNumber">The task labelled or skipped (for an undo: the task of the undone event).</param>
/// <param name="Stage">The stage of a label.</param>
/// <param name="Action">The action of a label, when the action task is on.</param>
/// <param name="Undoes">For an undo, the id of the event it withdrew.</param>
/// <param name="Time">When (UTC).</param>
internal sealed record AnnotationEvent(long Id, string Annotator, AnnotationEventKind Kind, int? TaskNumber, Stage? Stage,
    AgentAction? Action, long? Undoes, DateTimeOffset Time);

/// <summary>Where an annotator stands.</summary>
/// <param name="Annotator">The annotator.</param>
/// <param name="Total">Tasks in the session.</param>
/// <param name="Labelled">Tasks with a (not undone) label.</param>
/// <param name="Skipped">Tasks with a (not undone) skip.</param>
/// <param name="Next">The task to show now; <c>null</c> when every task is labelled or skipped.</param>
/// <param name="Last">The label or skip an undo would withdraw; <c>null</c> when there is none.</param>
internal sealed record AnnotatorProgress(string Annotator, int Total, int Labelled, int Skipped, LabellingTask? Next, AnnotationEvent? Last)
{
    /// <summary>Tasks labelled or skipped.</summary>
    public int Done => Labelled + Skipped;
}

/// <summary>
/// The annotation store: one SQLite file (WAL) holding a labelling session's fixed plan (its tasks and a snapshot of
/// their conversations) and every annotator's labels, skips and undos as an append-only history.
/// </summary>
/// <remarks>
/// Every label is committed before the call returns, so closing the browser or killing the process loses nothing;
/// reopening the store resumes each annotator at the first task they have neither labelled nor skipped. Several
/// processes (one per annotator) may share the file. Thread-safe: one connection, calls serialised.
/// </remarks>
internal sealed class AnnotationStore : IDisposable
{
    /// <summary>The store's format tag.</summary>
    public const string Format = "dfid.annotations/1";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly SqliteConnection _db;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private LabellingPlan? _plan;

    private AnnotationStore(string path, SqliteConnection db, TimeProvider time)
    {
        FilePath = path;
        _db = db;
        _time = time;
    }

    /// <summary>Full path of the SQLite file.</summary>
    public string FilePath { get; }

    /// <summary>Opens (creating if needed) an annotation store.</summary>
    /// <param name="path">The SQLite file; its folder is created when missing.</param>
    /// <param name="time">Clock of the label times (the system clock by default).</param>
    /// <exception cref="DfidException">The file is some other SQLite database (for example a run store).</exception>
    public static AnnotationStore Open(string path, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var db = SqliteFile.Open(full);
        try
        {
            using (var check = db.CreateCommand())
            {
                check.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table'";
                var tables = (long)check.ExecuteScalar()!;
                check.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'";
                var hasMeta = (long)check.ExecuteScalar()! > 0;
                string? format = null;
                if (hasMeta)
                {
                    check.CommandText = "SELECT value FROM meta WHERE key = 'format'";
                    format = check.ExecuteScalar() as string;
                }
                if (tables > 0 && format != Format)
                    throw new DfidException($"{path}: not an annotation store ({Format}); pass --store with a new file or one written by `dfid annotate`.", 2);
            }
            SqliteFile.Execute(db, """
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS conversations(id TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS tasks(number INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, turn_index INTEGER NOT NULL,
                    agent_turn_index INTEGER NOT NULL, outcome TEXT NOT NULL, third INTEGER NOT NULL, UNIQUE(conversation_id, turn_index));
                CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY AUTOINCREMENT, annotator TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK(kind IN ('label', 'skip', 'undo')), task INTEGER, stage TEXT, action TEXT,
                    undoes INTEGER, time TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS events_by_annotator ON events(annotator, id);
                INSERT OR IGNORE INTO meta VALUES ('format', 'dfid.annotations/1');
                """);
        }
        catch
        {
            db.Dispose();
            throw;
        }
        return new AnnotationStore(full, db, time ?? TimeProvider.System);
    }

    /// <summary>The session's plan, or <c>null</c> before one is created.</summary>
    public LabellingPlan? ReadPlan()
    {
        lock (_gate)
        {
            if (_plan is not null) return _plan;
            if (GetMeta("plan") is not { } json) return null;
            var header = JsonSerializer.Deserialize<PlanHeader>(json, Json)!;
            var tasks = new List<LabellingTask>();
            using (var cmd = _db.CreateCommand())
            {
                cmd.CommandText = "SELECT number, conversation_id, turn_index, agent_turn_index, outcome, third FROM tasks ORDER BY number";
                using var r = cmd.ExecuteReader();
                while (r.Read())
                    tasks.Add(new LabellingTask(r.GetInt32(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetString(4), r.GetInt32(5)));
            }
            _plan = new LabellingPlan(header.Selection, header.SampleSize, header.Seed, header.Source, header.SourceSha256,
                header.Actions, tasks, header.Strata);
            return _plan;
        }
    }

    /// <summary>Stores the session's plan and the conversations its tasks refer to, once.</summary>
    /// <exception cref="DfidException">The store already holds a plan, or a task's conversation is missing.</exception>
    public void CreatePlan(LabellingPlan plan, IEnumerable<Conversation> conversations)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(conversations);
        var byId = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        foreach (var c in conversations) byId.TryAdd(c.Id, c);
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            if (GetMeta("plan", tx) is not null)
                throw new DfidException($"{FilePath}: already holds a labelling session; resume it or pass --store with a new file.", 2);
            var header = new PlanHeader(plan.Selection, plan.SampleSize, plan.Seed, plan.Source, plan.SourceSha256, plan.Actions, [.. plan.Strata]);
            SetMeta("plan", JsonSerializer.Serialize(header, Json), tx);
            SetMeta("created_at", LabelsFile.FormatTime(_time.GetUtcNow()), tx);
            using (var cmd = Command("INSERT INTO tasks VALUES ($n, $c, $t, $a, $o, $h)", tx))
                foreach (var t in plan.Tasks)
                {
                    Bind(cmd, ("$n", t.Number), ("$c", t.ConversationId), ("$t", t.TurnIndex), ("$a", t.AgentTurnIndex), ("$o", t.Outcome), ("$h", t.Third));
                    cmd.ExecuteNonQuery();
                }
            using (var cmd = Command("INSERT INTO conversations VALUES ($id, $json)", tx))
                foreach (var id in plan.Tasks.Select(t => t.ConversationId).Distinct(StringComparer.Ordinal))
                {
                    if (!byId.TryGetValue(id, out var c))
                        throw new DfidException($"task for conversation '{id}': the conversation was not given; the plan and its source disagree.");
                    Bind(cmd, ("$id", id), ("$json", CorpusFile.ToJsonLine(c)));
                    cmd.ExecuteNonQuery();
                }
            tx.Commit();
            _plan = plan;
        }
    }

    /// <summary>The stored conversations of the session (a snapshot taken when the plan was created).</summary>
    public IReadOnlyDictionary<string, Conversation> ReadConversations()
    {
        lock (_gate)
        {
            var result = new Dictionary<string, Conversation>(StringComparer.Ordinal);
            using var cmd = Command("SELECT json FROM conversations");
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var c = CorpusFile.ParseJsonLine(r.GetString(0));
                result[c.Id] = c;
            }
            return result;
        }
    }

    /// <summary>Where <paramref name="annotator"/> stands.</summary>
    public AnnotatorProgress ReadProgress(string annotator)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(annotator);
        var plan = RequirePlan();
        lock (_gate) return Progress(plan, annotator, ReadEvents(annotator, null));
    }

    /// <summary>Labels task <paramref name="taskNumber"/>, which must be the annotator's current task.</summary>
    /// <returns><c>false</c> (nothing stored) when it is not the current task, e.g. a second tab or a repeated key press.</returns>
    public bool TryLabel(string annotator, int taskNumber, Stage stage, AgentAction? action, out AnnotatorProgress progress) =>
        TryAppend(annotator, taskNumber, AnnotationEventKind.Label, stage, action, out progress);

    /// <summary>Skips task <paramref name="taskNumber"/>, which must be the annotator's current task.</summary>
    /// <returns><c>false</c> (nothing stored) when it is not the current task.</returns>
    public bool TrySkip(string annotator, int taskNumber, out AnnotatorProgress progress) =>
        TryAppend(annotator, taskNumber, AnnotationEventKind.Skip, null, null, out progress);

    /// <summary>Withdraws the annotator's last label or skip (recorded as an undo; the history keeps both).</summary>
    /// <param name="annotator">The annotator.</param>
    /// <param name="expectedLast">The id of the event the caller means to undo (<see cref="AnnotatorProgress.Last"/>), or
    /// <c>null</c> for whatever is last; a mismatch (a repeated undo key press) undoes nothing.</param>
    /// <param name="progress">Where the annotator stands afterwards.</param>
    /// <returns><c>false</c> when there is nothing to undo or the last event is not <paramref name="expectedLast"/>.</returns>
    public bool TryUndo(string annotator, long? expectedLast, out AnnotatorProgress progress)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(annotator);
        var plan = RequirePlan();
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            var events = ReadEvents(annotator, tx);
            var before = Progress(plan, annotator, events);
            if (before.Last is not { } last || (expectedLast is long e && e != last.Id))
            {
                progress = before;
                return false;
            }
            events.Add(Insert(tx, annotator, AnnotationEventKind.Undo, last.TaskNumber, null, null, last.Id));
            tx.Commit();
            progress = Progress(plan, annotator, events);
            return true;
        }
    }

    /// <summary>Every annotator's current labels (not undone; skips are not labels), by annotator then task order.</summary>
    public IReadOnlyList<HumanLabel> ReadLabels()
    {
        var plan = RequirePlan();
        var byNumber = plan.Tasks.ToDictionary(t => t.Number);
        var result = new List<HumanLabel>();
        foreach (var annotator in ReadAnnotators())
        {
            List<AnnotationEvent> events;
            lock (_gate) events = ReadEvents(annotator, null);
            foreach (var e in Effective(events).Where(e => e.Kind == AnnotationEventKind.Label).OrderBy(e => e.TaskNumber))
            {
                var t = byNumber[e.TaskNumber!.Value];
                result.Add(new HumanLabel(t.ConversationId, t.TurnIndex, annotator, e.Stage!.Value, e.Action,
                    e.Action is null ? null : t.AgentTurnIndex, e.Time));
            }
        }
        return result;
    }

    /// <summary>The full history (labels, skips, undos) of one annotator, or of everyone, in order.</summary>
    public IReadOnlyList<AnnotationEvent> ReadHistory(string? annotator = null)
    {
        lock (_gate) return ReadEvents(annotator, null);
    }

    /// <summary>Everyone who has labelled, skipped or undone anything, in ordinal order.</summary>
    public IReadOnlyList<string> ReadAnnotators()
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT DISTINCT annotator FROM events ORDER BY annotator");
            using var r = cmd.ExecuteReader();
            var list = new List<string>();
            while (r.Read()) list.Add(r.GetString(0));
            return [.. list.Order(StringComparer.Ordinal)];
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate) _db.Dispose();
    }

    private bool TryAppend(string annotator, int taskNumber, AnnotationEventKind kind, Stage? stage, AgentAction? action, out AnnotatorProgress progress)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(annotator);
        var plan = RequirePlan();
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            var events = ReadEvents(annotator, tx);
            var before = Progress(plan, annotator, events);
            if (before.Next is not { } next || next.Number != taskNumber)
            {
                progress = before;
                return false;
            }
            events.Add(Insert(tx, annotator, kind, taskNumber, stage, action, null));
            tx.Commit();
            progress = Progress(plan, annotator, events);
            return true;
        }
    }

    private LabellingPlan RequirePlan() =>
        ReadPlan() ?? throw new DfidException($"{FilePath}: holds no labelling session yet; start one with `dfid annotate CORPUS --sample N`.", 2);

    /// <summary>Replays the history: labels and skips push, undos pop; what is left is in effect.</summary>
    private static List<AnnotationEvent> Effective(List<AnnotationEvent> events)
    {
        var stack = new List<AnnotationEvent>();
        foreach (var e in events)
        {
            if (e.Kind == AnnotationEventKind.Undo)
            {
                var at = stack.FindLastIndex(s => s.Id == e.Undoes);
                if (at >= 0) stack.RemoveAt(at);
            }
            else stack.Add(e);
        }
        return stack;
    }

    private static AnnotatorProgress Progress(LabellingPlan plan, string annotator, List<AnnotationEvent> events)
    {
        var stack = Effective(events);
        var done = new HashSet<int>(stack.Select(e => e.TaskNumber!.Value));
        var next = plan.Tasks.FirstOrDefault(t => !done.Contains(t.Number));
        return new AnnotatorProgress(annotator, plan.Tasks.Count,
            stack.Count(e => e.Kind == AnnotationEventKind.Label), stack.Count(e => e.Kind == AnnotationEventKind.Skip),
            next, stack.Count > 0 ? stack[^1] : null);
    }

    private AnnotationEvent Insert(SqliteTransaction tx, string annotator, AnnotationEventKind kind, int? task, Stage? stage, AgentAction? action, long? undoes)
    {
        var time = _time.GetUtcNow();
        using var cmd = Command("INSERT INTO events(annotator, kind, task, stage, action, undoes, time) VALUES ($a, $k, $t, $s, $x, $u, $time) RETURNING id", tx);
        Bind(cmd, ("$a", annotator), ("$k", KindName(kind)), ("$t", task), ("$s", stage is { } s ? StateNames.Of(s) : null),
            ("$x", action is { } x ? StateNames.Of(x) : null), ("$u", undoes), ("$time", LabelsFile.FormatTime(time)));
        var id = (long)cmd.ExecuteScalar()!;
        return new AnnotationEvent(id, annotator, kind, task, stage, action, undoes, DateTimeOffset.Parse(LabelsFile.FormatTime(time), CultureInfo.InvariantCulture));
    }

    private List<AnnotationEvent> ReadEvents(string? annotator, SqliteTransaction? tx)
    {
        using var cmd = Command(annotator is null
            ? "SELECT id, annotator, kind, task, stage, action, undoes, time FROM events ORDER BY id"
            : "SELECT id, annotator, kind, task, stage, action, undoes, time FROM events WHERE annotator = $a ORDER BY id", tx);
        if (annotator is not null) Bind(cmd, ("$a", annotator));
        using var r = cmd.ExecuteReader();
        var list = new List<AnnotationEvent>();
        while (r.Read())
        {
            var kind = r.GetString(2) switch
            {
                "label" => AnnotationEventKind.Label,
                "skip" => AnnotationEventKind.Skip,
                _ => AnnotationEventKind.Undo,
            };
            Stage? stage = r.IsDBNull(4) ? null : StateNames.TryParse(r.GetString(4), out Stage s) ? s
                : throw new DfidException($"{FilePath}: event {r.GetInt64(0)} has an unknown stage '{r.GetString(4)}'; the store was edited by hand.");
            AgentAction? action = r.IsDBNull(5) ? null : StateNames.TryParse(r.GetString(5), out AgentAction a) ? a
                : throw new DfidException($"{FilePath}: event {r.GetInt64(0)} has an unknown action '{r.GetString(5)}'; the store was edited by hand.");
            list.Add(new AnnotationEvent(r.GetInt64(0), r.GetString(1), kind, r.IsDBNull(3) ? null : r.GetInt32(3), stage, action,
                r.IsDBNull(6) ? null : r.GetInt64(6),
                DateTimeOffset.Parse(r.GetString(7), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)));
        }
        return list;
    }

    private static string KindName(AnnotationEventKind kind) => kind switch
    {
        AnnotationEventKind.Label => "label",
        AnnotationEventKind.Skip => "skip",
        _ => "undo",
    };

    private string? GetMeta(string key, SqliteTransaction? tx = null)
    {
        using var cmd = Command("SELECT value FROM meta WHERE key = $k", tx);
        Bind(cmd, ("$k", key));
        return cmd.ExecuteScalar() as string;
    }

    private void SetMeta(string key, string value, SqliteTransaction tx)
    {
        using var cmd = Command("INSERT INTO meta VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value", tx);
        Bind(cmd, ("$k", key), ("$v", value));
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null) => SqliteFile.Command(_db, sql, tx);

    private static void Bind(SqliteCommand cmd, params (string Name, object? Value)[] values) => SqliteFile.Bind(cmd, values);

    private sealed record PlanHeader(string Selection, int? SampleSize, int Seed, string Source, string SourceSha256, bool Actions, List<TurnStratum> Strata);
}
