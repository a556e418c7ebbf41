using Microsoft.Data.Sqlite;

namespace Dfid.Models;

/// <summary>
/// A persistent response store in one SQLite file (WAL, busy timeout), safe for concurrent callers and for several
/// processes sharing the file: one pooled connection per operation, inserts are idempotent (first answer wins).
/// </summary>
internal sealed class ResponseCache
{
    private readonly string _connectionString;
    private readonly TimeProvider _clock;

    public ResponseCache(string path, TimeProvider clock)
    {
        _clock = clock;
        Path = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        try
        {
            using var c = Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=NORMAL;
                CREATE TABLE IF NOT EXISTS responses (
                    key TEXT PRIMARY KEY,
                    model TEXT NOT NULL,
                    response TEXT NOT NULL,
                    created_utc TEXT NOT NULL
                ) WITHOUT ROWID;
                """;
            cmd.ExecuteNonQuery();
        }
        catch (SqliteException ex)
        {
            throw new DfidException($"response cache '{Path}' cannot be opened: {ex.Message}. Use another --cache path or --no-cache.", 1, ex);
        }
    }

    public string Path { get; }

    public string? TryGet(string key)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT response FROM responses WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() as string;
    }

    public void Put(string key, string model, string response)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT OR IGNORE INTO responses (key, model, response, created_utc) VALUES ($k, $m, $r, $t)";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$m", model);
        cmd.Parameters.AddWithValue("$r", response);
        cmd.Parameters.AddWithValue("$t", _clock.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    public long Count()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM responses";
        return (long)cmd.ExecuteScalar()!;
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }
}
