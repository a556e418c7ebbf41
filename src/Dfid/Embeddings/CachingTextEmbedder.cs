using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Dfid.Embeddings;

/// <summary>
/// Caches the vectors of an inner <see cref="ITextEmbedder"/> in memory and, when a file is given, in a SQLite table keyed
/// by the SHA-256 of the text and the embedder's tag, so repeated runs do not embed the same texts again.
/// </summary>
/// <remarks>Thread-safe. Only texts missing from both caches reach the inner embedder, each once, in one call.</remarks>
public sealed class CachingTextEmbedder : ITextEmbedder, IDisposable
{
    private readonly ITextEmbedder _inner;
    private readonly string _tag;
    private readonly ConcurrentDictionary<string, float[]> _memory = new(StringComparer.Ordinal);
    private readonly SqliteConnection? _db;
    private readonly Lock _dbGate = new();
    private readonly bool _ownsInner;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The embedder that computes missing vectors.</param>
    /// <param name="databasePath">SQLite file for the persistent cache (created if missing), or <c>null</c> for memory only.</param>
    /// <param name="tag">Identifies the inner model in cache keys; defaults to its <see cref="ITextEmbedder.ModelId"/> and dimensions.</param>
    /// <param name="ownsInner">Whether <see cref="Dispose"/> also disposes <paramref name="inner"/>.</param>
    public CachingTextEmbedder(ITextEmbedder inner, string? databasePath = null, string? tag = null, bool ownsInner = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _ownsInner = ownsInner;
        _tag = tag ?? $"{inner.ModelId}/{inner.Dimensions}";
        if (databasePath is null) return;
        var dir = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        _db.Open();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; " +
                          "CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL);";
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc/>
    public int Dimensions => _inner.Dimensions;

    /// <inheritdoc/>
    public string ModelId => _inner.ModelId;

    /// <summary>How many vectors the inner embedder computed through this cache.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    private long _misses;

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[texts.Count][];
        var keys = new string[texts.Count];
        var missing = new List<int>();
        for (var i = 0; i < texts.Count; i++)
        {
            keys[i] = Key(texts[i]);
            if (_memory.TryGetValue(keys[i], out var v)) result[i] = v;
            else missing.Add(i);
        }
        if (missing.Count > 0 && _db is not null) missing = ReadDatabase(keys, missing, result);
        if (missing.Count == 0) return result;

        // Embed each distinct missing text once (ordering for batching is the inner embedder's business).
        var distinct = missing.GroupBy(i => keys[i], StringComparer.Ordinal).ToList();
        var computed = _inner.Embed(distinct.Select(g => texts[g.First()]).ToArray(), cancellationToken);
        Interlocked.Add(ref _misses, distinct.Count);
        for (var k = 0; k < distinct.Count; k++)
        {
            _memory[distinct[k].Key] = computed[k];
            foreach (var i in distinct[k]) result[i] = computed[k];
        }
        if (_db is not null) WriteDatabase(distinct.Select((g, k) => (g.Key, computed[k])).ToList());
        return result;
    }

    private List<int> ReadDatabase(string[] keys, List<int> missing, float[][] result)
    {
        var still = new List<int>();
        lock (_dbGate)
        {
            using var cmd = _db!.CreateCommand();
            cmd.CommandText = "SELECT vector FROM embeddings WHERE key = $k";
            var p = cmd.Parameters.Add("$k", SqliteType.Text);
            foreach (var i in missing)
            {
                p.Value = keys[i];
                if (cmd.ExecuteScalar() is byte[] blob && blob.Length == Dimensions * sizeof(float))
                {
                    var v = new float[Dimensions];
                    Buffer.BlockCopy(blob, 0, v, 0, blob.Length);
                    _memory[keys[i]] = v;
                    result[i] = v;
                }
                else still.Add(i);
            }
        }
        return still;
    }

    private void WriteDatabase(List<(string Key, float[] Vector)> rows)
    {
        lock (_dbGate)
        {
            using var tx = _db!.BeginTransaction();
            using var cmd = _db.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT OR REPLACE INTO embeddings (key, vector) VALUES ($k, $v)";
            var pk = cmd.Parameters.Add("$k", SqliteType.Text);
            var pv = cmd.Parameters.Add("$v", SqliteType.Blob);
            foreach (var (key, vector) in rows)
            {
                var blob = new byte[vector.Length * sizeof(float)];
                Buffer.BlockCopy(vector, 0, blob, 0, blob.Length);
                pk.Value = key;
                pv.Value = blob;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    private string Key(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_tag + "\n" + text)));

    /// <summary>Closes the cache database, and the inner embedder when this cache owns it.</summary>
    public void Dispose()
    {
        _db?.Dispose();
        if (_ownsInner) (_inner as IDisposable)?.Dispose();
    }
}
