namespace Dfid;

/// <summary>The user cache folder shared by every cache of dfid (responses, embeddings, trained instruments, GGUF models).</summary>
public static class CacheFolder
{
    /// <summary><c>$DFID_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/dfid</c>, else <c>~/.cache/dfid</c>.</summary>
    /// <param name="environment">Reads an environment variable (the process environment when null).</param>
    public static string Default(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        return environment("DFID_CACHE_DIR") is { Length: > 0 } d ? d
            : environment("XDG_CACHE_HOME") is { Length: > 0 } x ? Path.Combine(x, "dfid")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "dfid");
    }
}
