using Microsoft.Data.Sqlite;

namespace Dfid.Store;

// Sharded runs: which shard a run folder holds (part of what it is, like its experiment), and copying the rows of
// shard folders into one merged run.
public sealed partial class RunStore
{
    /// <summary>The <c>shard</c> of a run folder that holds the whole run.</summary>
    public const string Unsharded = "none";

    /// <summary>
    /// Records which shard of its experiment this folder runs (<c>K/N</c>, or <see cref="Unsharded"/>). Call before
    /// <see cref="BindExperiment"/>: a folder that holds a run already is refused as another shard (a folder written before
    /// shards existed holds the whole run).
    /// </summary>
    /// <exception cref="DfidException">The folder holds another shard (exit code 2).</exception>
    public void BindShard(string shard)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shard);
        var existing = ReadShard();
        if (existing is null)
        {
            SetMeta("shard", shard);
            return;
        }
        if (existing == shard) return;
        static string Name(string s) => s == Unsharded ? "the whole run (no --shard)" : "shard " + s;
        throw new DfidException(
            $"{Path.GetDirectoryName(FilePath)} holds {Name(existing)}, not {Name(shard)}; a shard folder resumes only as the same shard. " +
            $"Run {Name(shard)} with another --out folder, or resume this one with {(existing == Unsharded ? "no --shard" : "--shard " + existing)}", 2);
    }

    /// <summary>The shard this folder runs (<c>K/N</c> or <see cref="Unsharded"/>), or null for a folder with no run yet.</summary>
    public string? ReadShard() => GetMeta("shard") ?? (GetMeta("experiment_identity") is null ? null : Unsharded);

    /// <summary>The experiment identity the folder was bound to, or null.</summary>
    internal string? ReadIdentity() => GetMeta("experiment_identity");

    /// <summary>The experiment text of the latest session, or null.</summary>
    internal string? ReadExperimentText() => GetMeta("experiment");

    /// <summary>Copies the experiment binding (identity, first and latest text) of <paramref name="source"/>.</summary>
    internal void CopyExperimentBinding(RunStore source)
    {
        ArgumentNullException.ThrowIfNull(source);
        foreach (var key in new[] { "experiment_identity", "experiment_first", "experiment" })
            if (source.GetMeta(key) is { } value) SetMeta(key, value);
    }

    /// <summary>
    /// Copies every row of the run store at <paramref name="otherPath"/> into this one, table by table (tables this version
    /// does not know are created as the other store defines them); rows of <paramref name="runWide"/> tables (the same in
    /// every shard) are kept once. In one transaction: a failure copies nothing.
    /// </summary>
    /// <returns>Rows copied per table.</returns>
    /// <exception cref="DfidException">A row's key is already present (the same probe in two shards), or the other store
    /// lacks a column of this version's (written by another dfid version).</exception>
    internal IReadOnlyDictionary<string, long> ImportRows(string otherPath, IReadOnlySet<string> runWide)
    {
        ArgumentNullException.ThrowIfNull(otherPath);
        ArgumentNullException.ThrowIfNull(runWide);
        var copied = new Dictionary<string, long>(StringComparer.Ordinal);
        lock (_gate)
        {
            using (var attach = Command("ATTACH DATABASE $p AS shard"))
            {
                Bind(attach, ("$p", otherPath));
                attach.ExecuteNonQuery();
            }
            try
            {
                var tables = new List<(string Name, string Sql)>();
                using (var cmd = Command("SELECT name, sql FROM shard.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'meta' ORDER BY name"))
                using (var rd = cmd.ExecuteReader())
                    while (rd.Read()) tables.Add((rd.GetString(0), rd.GetString(1)));
                using var tx = _db.BeginTransaction();
                foreach (var (name, sql) in tables)
                {
                    var quoted = "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                    var columns = Columns("main", name, tx);
                    if (columns.Count == 0)
                    {
                        using var create = Command(sql, tx);
                        create.ExecuteNonQuery();
                        columns = Columns("main", name, tx);
                    }
                    var theirs = Columns("shard", name, tx);
                    var lacking = columns.Where(c => !theirs.Contains(c)).ToList();
                    if (lacking.Count > 0)
                        throw new DfidException($"{otherPath}: table {name} has no column {string.Join(", ", lacking)}; it was written by another dfid version than this one", 2);
                    var list = string.Join(", ", columns.Select(c => "\"" + c + "\""));
                    using var copy = Command($"INSERT {(runWide.Contains(name) ? "OR IGNORE " : "")}INTO main.{quoted} ({list}) SELECT {list} FROM shard.{quoted}", tx);
                    try
                    {
                        copied[name] = copy.ExecuteNonQuery();
                    }
                    catch (SqliteException ex) when (ex.SqliteErrorCode == 19)
                    {
                        throw new DfidException($"{otherPath}: a row of table {name} is already in the merged run ({ex.Message}); the same work is in two of the folders given", 2, ex);
                    }
                }
                tx.Commit();
            }
            finally
            {
                using var detach = Command("DETACH DATABASE shard");
                detach.ExecuteNonQuery();
            }
        }
        return copied;
    }

    private List<string> Columns(string schema, string table, SqliteTransaction tx)
    {
        var result = new List<string>();
        using var cmd = Command($"SELECT name FROM pragma_table_info($t, $s)", tx);
        Bind(cmd, ("$t", table), ("$s", schema));
        using var rd = cmd.ExecuteReader();
        while (rd.Read()) result.Add(rd.GetString(0));
        return result;
    }
}
