namespace Dfid;

/// <summary>Files that are replaced whole or not at all: written to a temporary sibling, then renamed over the target, so a
/// crash or a full disk never leaves a half-written corpus or labels file behind.</summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/> (its folder is created when missing).</summary>
    /// <returns>What <paramref name="write"/> returns (e.g. the number of records written).</returns>
    /// <exception cref="DfidException">The file cannot be written; the message names it.</exception>
    public static T Write<T>(string path, Func<Stream, T> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var temp = $"{full}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp";
        try
        {
            var dir = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            T result;
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                result = write(stream);
            File.Move(temp, full, overwrite: true);
            return result;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new DfidException($"cannot write {path}: {ex.Message}", 1, ex);
        }
    }
}
