using Microsoft.Data.Sqlite;

namespace Dfid;

/// <summary>How dfid's SQLite files (the run store, the annotation store) are opened and queried: one connection, WAL, a
/// busy timeout so concurrent readers and writers wait instead of failing, commands with named parameters.</summary>
internal static class SqliteFile
{
    /// <summary>Opens (creating if needed) <paramref name="path"/> in WAL mode; its folder must exist.</summary>
    public static SqliteConnection Open(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            db.Open();
            Execute(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;");
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="sql"/> (one or more statements) without parameters.</summary>
    public static void Execute(SqliteConnection db, string sql)
    {
        using var cmd = Command(db, sql);
        cmd.ExecuteNonQuery();
    }

    /// <summary>A command for <paramref name="sql"/>, in <paramref name="tx"/> when given.</summary>
    public static SqliteCommand Command(SqliteConnection db, string sql, SqliteTransaction? tx = null)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    /// <summary>Sets named parameters (null as DBNull), reusing those the command already has.</summary>
    public static void Bind(SqliteCommand cmd, params (string Name, object? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            if (cmd.Parameters.Contains(name)) cmd.Parameters[name].Value = value ?? DBNull.Value;
            else cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }
}
