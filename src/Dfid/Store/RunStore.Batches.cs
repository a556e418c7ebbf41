using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Dfid.Store;

// Batch execution's records: every provider batch a run submitted (id, model, phase, state as last polled) and every
// request in it (custom id, the online cache key, and once the batch has ended its answer or failure). A session killed
// while a batch runs finds it here and polls it again instead of submitting it twice.
public sealed partial class RunStore
{
    /// <summary>The item statuses of <c>batch_items</c>.</summary>
    internal const string ItemPending = "pending", ItemOk = "ok", ItemFailed = "failed";

    private void CreateBatchTables() => Exec("""
        CREATE TABLE IF NOT EXISTS batches(id TEXT PRIMARY KEY, ord INTEGER NOT NULL, spec TEXT NOT NULL, phase TEXT NOT NULL,
            round INTEGER NOT NULL, session TEXT NOT NULL, requests INTEGER NOT NULL, state TEXT NOT NULL,
            completed INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, error TEXT,
            submitted_at TEXT NOT NULL, polled_at TEXT, ended_at TEXT, ingested_session TEXT);
        CREATE TABLE IF NOT EXISTS batch_items(batch_id TEXT NOT NULL, custom_id TEXT NOT NULL, cache_key TEXT NOT NULL,
            ord INTEGER NOT NULL, status TEXT NOT NULL, response TEXT, failure_kind TEXT, failure_message TEXT,
            failure_status INTEGER, failure_code TEXT, retryable INTEGER, prompt_tokens INTEGER, completion_tokens INTEGER,
            cached_tokens INTEGER, cost_usd REAL, PRIMARY KEY(batch_id, custom_id));
        CREATE INDEX IF NOT EXISTS batch_items_by_key ON batch_items(cache_key);
        """);

    /// <summary>Records a submitted batch and its requests (all pending) in one transaction.</summary>
    /// <param name="batch">The batch (its counts and end are ignored: a new batch has none).</param>
    /// <param name="items">Custom id and online cache key of each request, in submission order.</param>
    internal void AddBatch(StoredBatch batch, IReadOnlyList<(string CustomId, string CacheKey)> items)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(items);
        InTransaction(tx =>
        {
            using (var cmd = Command("""
                INSERT INTO batches(id, ord, spec, phase, round, session, requests, state, submitted_at)
                VALUES ($id, (SELECT COALESCE(MAX(ord), 0) + 1 FROM batches), $spec, $phase, $round, $session, $n, $state, $at)
                """, tx))
            {
                Bind(cmd, ("$id", batch.Id), ("$spec", batch.Spec), ("$phase", batch.Phase), ("$round", batch.Round), ("$session", batch.Session),
                    ("$n", items.Count), ("$state", batch.State), ("$at", batch.SubmittedAt));
                cmd.ExecuteNonQuery();
            }
            using var insert = Command("INSERT INTO batch_items(batch_id, custom_id, cache_key, ord, status) VALUES ($b, $c, $k, $o, 'pending')", tx);
            for (var i = 0; i < items.Count; i++)
            {
                Bind(insert, ("$b", batch.Id), ("$c", items[i].CustomId), ("$k", items[i].CacheKey), ("$o", i));
                insert.ExecuteNonQuery();
            }
        });
    }

    /// <summary>Records a status read of a batch: its state and the provider's counts.</summary>
    internal void UpdateBatchStatus(string batchId, string state, int completed, int failed, string? error)
    {
        lock (_gate)
        {
            using var cmd = Command("UPDATE batches SET state=$s, completed=$c, failed=$f, error=COALESCE($e, error), polled_at=$at WHERE id=$id");
            Bind(cmd, ("$s", state), ("$c", completed), ("$f", failed), ("$e", error), ("$at", Now()), ("$id", batchId));
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Records the outcomes of a batch's requests and marks the batch read (ingested) by <paramref name="session"/>,
    /// in one transaction: a session killed while reading results reads them all again.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="outcomes">One outcome per request of the batch that has one; requests left out stay pending unless
    /// <paramref name="missing"/> says what they are.</param>
    /// <param name="missing">The failure recorded for requests the results left out.</param>
    /// <param name="session">The session that read the results.</param>
    internal void IngestBatch(string batchId, IEnumerable<StoredBatchItemOutcome> outcomes, StoredBatchItemOutcome? missing, string session)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        InTransaction(tx =>
        {
            using var update = Command("""
                UPDATE batch_items SET status=$st, response=$r, failure_kind=$fk, failure_message=$fm, failure_status=$fs, failure_code=$fc,
                    retryable=$rt, prompt_tokens=$pt, completion_tokens=$ct, cached_tokens=$cached, cost_usd=$cost
                WHERE batch_id=$b AND custom_id=$c
                """, tx);
            void Write(string? customId, StoredBatchItemOutcome o)
            {
                Bind(update, ("$st", o.Response is null ? ItemFailed : ItemOk), ("$r", o.Response), ("$fk", o.FailureKind), ("$fm", o.FailureMessage),
                    ("$fs", o.FailureStatus), ("$fc", o.FailureCode), ("$rt", o.Response is null ? (o.Retryable ? 1 : 0) : null),
                    ("$pt", o.PromptTokens), ("$ct", o.CompletionTokens), ("$cached", o.CachedTokens), ("$cost", o.CostUsd),
                    ("$b", batchId), ("$c", customId));
                update.ExecuteNonQuery();
            }
            foreach (var o in outcomes) Write(o.CustomId, o);
            if (missing is not null)
            {
                var left = new List<string>();
                using (var pending = Command("SELECT custom_id FROM batch_items WHERE batch_id=$b AND status='pending'", tx))
                {
                    Bind(pending, ("$b", batchId));
                    using var rd = pending.ExecuteReader();
                    while (rd.Read()) left.Add(rd.GetString(0));
                }
                foreach (var id in left) Write(id, missing);
            }
            using var done = Command("UPDATE batches SET ingested_session=$s, ended_at=COALESCE(ended_at, $at) WHERE id=$b", tx);
            Bind(done, ("$s", session), ("$at", Now()), ("$b", batchId));
            done.ExecuteNonQuery();
        });
    }

    /// <summary>Every batch of the run, in submission order, with its requests counted by status.</summary>
    internal IReadOnlyList<StoredBatch> ReadBatches()
    {
        var result = new List<StoredBatch>();
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT b.id, b.spec, b.phase, b.round, b.session, b.requests, b.state, b.completed, b.failed, b.error, b.submitted_at,
                       b.polled_at, b.ended_at, b.ingested_session,
                       COALESCE(SUM(i.status='ok'),0), COALESCE(SUM(i.status='failed'),0), COALESCE(SUM(i.status='pending'),0),
                       SUM(i.cost_usd), COUNT(i.cost_usd), COALESCE(SUM(i.prompt_tokens),0), COALESCE(SUM(i.completion_tokens),0), COALESCE(SUM(i.cached_tokens),0)
                FROM batches b LEFT JOIN batch_items i ON i.batch_id = b.id
                GROUP BY b.id ORDER BY b.ord
                """);
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
            {
                result.Add(new StoredBatch(rd.GetString(0), rd.GetString(1), rd.GetString(2), rd.GetInt32(3), rd.GetString(4), rd.GetInt32(5), rd.GetString(6),
                    rd.GetString(10))
                {
                    Completed = rd.GetInt32(7),
                    Failed = rd.GetInt32(8),
                    Error = rd.IsDBNull(9) ? null : rd.GetString(9),
                    PolledAt = rd.IsDBNull(11) ? null : rd.GetString(11),
                    EndedAt = rd.IsDBNull(12) ? null : rd.GetString(12),
                    IngestedSession = rd.IsDBNull(13) ? null : rd.GetString(13),
                    ItemsOk = rd.GetInt32(14),
                    ItemsFailed = rd.GetInt32(15),
                    ItemsPending = rd.GetInt32(16),
                    // The cost is known when every answered request has a price.
                    CostUsd = rd.GetInt32(18) == rd.GetInt32(14) ? (rd.IsDBNull(17) ? 0 : rd.GetDouble(17)) : null,
                    PromptTokens = rd.GetInt64(19),
                    CompletionTokens = rd.GetInt64(20),
                    CachedTokens = rd.GetInt64(21),
                });
            }
        }
        return result;
    }

    /// <summary>
    /// The latest request for each online cache key among the batches of the run (a later submission replaces an earlier
    /// one): what the batch answers of a session start from.
    /// </summary>
    internal Dictionary<string, StoredBatchItem> ReadBatchItemsByKey()
    {
        var result = new Dictionary<string, StoredBatchItem>(StringComparer.Ordinal);
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT i.cache_key, i.batch_id, i.custom_id, i.status, b.session, b.ingested_session,
                       i.failure_kind, i.failure_message, i.failure_status, i.failure_code, i.retryable
                FROM batch_items i JOIN batches b ON b.id = i.batch_id
                ORDER BY b.ord, i.ord
                """);
            using var rd = cmd.ExecuteReader();
            while (rd.Read())
            {
                result[rd.GetString(0)] = new StoredBatchItem(rd.GetString(1), rd.GetString(2), rd.GetString(3), rd.GetString(4), rd.IsDBNull(5) ? null : rd.GetString(5),
                    rd.IsDBNull(6) ? null : rd.GetString(6), rd.IsDBNull(7) ? null : rd.GetString(7), rd.IsDBNull(8) ? null : rd.GetInt32(8),
                    rd.IsDBNull(9) ? null : rd.GetString(9), !rd.IsDBNull(10) && rd.GetBoolean(10));
            }
        }
        return result;
    }

    /// <summary>Custom id → online cache key of every request of <paramref name="batchId"/>.</summary>
    internal Dictionary<string, string> ReadBatchItemKeys(string batchId)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        lock (_gate)
        {
            using var cmd = Command("SELECT custom_id, cache_key FROM batch_items WHERE batch_id=$b");
            Bind(cmd, ("$b", batchId));
            using var rd = cmd.ExecuteReader();
            while (rd.Read()) result[rd.GetString(0)] = rd.GetString(1);
        }
        return result;
    }

    /// <summary>The stored answer of one batch request (the response cache's JSON form), or null.</summary>
    internal string? ReadBatchAnswer(string batchId, string customId)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT response FROM batch_items WHERE batch_id=$b AND custom_id=$c");
            Bind(cmd, ("$b", batchId), ("$c", customId));
            return cmd.ExecuteScalar() as string;
        }
    }

    /// <summary>Cost (batch price) of the answers read by <paramref name="session"/>, or of all when null; null when some
    /// answered request's price is unknown.</summary>
    internal double? ReadBatchCost(string? session = null)
    {
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT SUM(i.cost_usd), COUNT(i.cost_usd), COUNT(*) FROM batch_items i JOIN batches b ON b.id = i.batch_id
                WHERE i.status = 'ok' AND ($s IS NULL OR b.ingested_session = $s)
                """);
            Bind(cmd, ("$s", session));
            using var rd = cmd.ExecuteReader();
            rd.Read();
            return rd.GetInt64(1) == rd.GetInt64(2) ? (rd.IsDBNull(0) ? 0 : rd.GetDouble(0)) : null;
        }
    }
}

/// <summary>A provider batch of a run.</summary>
/// <param name="Id">The provider's batch id.</param>
/// <param name="Spec">The model spec (canonical string) every request went to.</param>
/// <param name="Phase"><c>simulate</c>, <c>label</c> or <c>actions</c>.</param>
/// <param name="Round">The phase's round (1: first requests; later: repairs, fallbacks, resubmissions).</param>
/// <param name="Session">The session that submitted it.</param>
/// <param name="Requests">Requests in it.</param>
/// <param name="State">Its state as last read (validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled).</param>
/// <param name="SubmittedAt">When it was submitted (UTC, ISO 8601).</param>
internal sealed record StoredBatch(string Id, string Spec, string Phase, int Round, string Session, int Requests, string State, string SubmittedAt)
{
    /// <summary>Requests answered, as the provider last reported.</summary>
    public int Completed { get; init; }

    /// <summary>Requests failed, as the provider last reported.</summary>
    public int Failed { get; init; }

    /// <summary>The provider's error text for the batch as a whole, if any.</summary>
    public string? Error { get; init; }

    /// <summary>The last status read (UTC).</summary>
    public string? PolledAt { get; init; }

    /// <summary>When its results were read (UTC).</summary>
    public string? EndedAt { get; init; }

    /// <summary>The session that read its results; null while it has not been read.</summary>
    public string? IngestedSession { get; init; }

    /// <summary>Requests with a stored answer.</summary>
    public int ItemsOk { get; init; }

    /// <summary>Requests with a stored failure.</summary>
    public int ItemsFailed { get; init; }

    /// <summary>Requests whose outcome is not read yet.</summary>
    public int ItemsPending { get; init; }

    /// <summary>Cost of its answers at the batch price; null when a price is unknown.</summary>
    public double? CostUsd { get; init; }

    /// <summary>Prompt tokens of its answers.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Completion tokens of its answers.</summary>
    public long CompletionTokens { get; init; }

    /// <summary>Prompt tokens of its answers served from the provider's prompt cache.</summary>
    public long CachedTokens { get; init; }
}

/// <summary>The latest request for one cache key.</summary>
/// <param name="BatchId">Its batch.</param>
/// <param name="CustomId">Its custom id.</param>
/// <param name="Status"><c>pending</c>, <c>ok</c> or <c>failed</c>.</param>
/// <param name="Session">The session that submitted it.</param>
/// <param name="IngestedSession">The session that read its batch's results; null while they have not been read.</param>
/// <param name="FailureKind">For a failure: its kind.</param>
/// <param name="FailureMessage">For a failure: the provider's message.</param>
/// <param name="FailureStatus">For a failure: the HTTP status inside the batch.</param>
/// <param name="FailureCode">For a failure: the provider's code or type.</param>
/// <param name="Retryable">For a failure: whether submitting it again may succeed.</param>
internal sealed record StoredBatchItem(string BatchId, string CustomId, string Status, string Session, string? IngestedSession,
    string? FailureKind, string? FailureMessage, int? FailureStatus, string? FailureCode, bool Retryable);

/// <summary>The outcome of one batch request: an answer (<paramref name="Response"/>) or a failure.</summary>
/// <param name="CustomId">The request.</param>
/// <param name="Response">The answer in the response cache's JSON form; null for a failure.</param>
/// <param name="FailureKind">The failure's kind.</param>
/// <param name="FailureMessage">The provider's message.</param>
/// <param name="FailureStatus">HTTP status inside the batch.</param>
/// <param name="FailureCode">The provider's code or type.</param>
/// <param name="Retryable">Whether submitting it again may succeed.</param>
/// <param name="PromptTokens">Prompt tokens of the answer.</param>
/// <param name="CompletionTokens">Completion tokens of the answer.</param>
/// <param name="CachedTokens">Cached prompt tokens of the answer.</param>
/// <param name="CostUsd">Cost at the batch price; null when unknown.</param>
internal sealed record StoredBatchItemOutcome(string? CustomId, string? Response, string? FailureKind = null, string? FailureMessage = null,
    int? FailureStatus = null, string? FailureCode = null, bool Retryable = false, long? PromptTokens = null, long? CompletionTokens = null,
    long? CachedTokens = null, double? CostUsd = null);
