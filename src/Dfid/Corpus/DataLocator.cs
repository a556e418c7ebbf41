namespace Dfid.Corpus;

/// <summary>Finds the folder of real data (the one holding <c>persuasionforgood/</c> and <c>salestalk-ja/</c>).</summary>
/// <remarks>
/// Order: an explicit folder (<c>--data DIR</c>), then the <c>DFID_DATA</c> environment variable, then <c>../shared/data</c>
/// relative to the current directory, then <c>../shared/data</c> relative to the tool's location and each folder above it
/// (so a build inside a clone finds the data beside the clone). An explicit folder or variable that does not exist is an
/// error, never silently skipped.
/// </remarks>
public static class DataLocator
{
    /// <summary>The environment variable naming the data folder.</summary>
    public const string EnvironmentVariable = "DFID_DATA";

    /// <summary>Finds the data folder from the process's environment, current directory and tool location.</summary>
    /// <param name="explicitPath">The folder given on the command line (<c>--data</c>), or <c>null</c>.</param>
    /// <returns>The full path of the data folder.</returns>
    /// <exception cref="DfidException">No folder found (exit code 2); the message says exactly what to pass.</exception>
    public static string Locate(string? explicitPath = null) =>
        Locate(explicitPath, Environment.GetEnvironmentVariable(EnvironmentVariable), Environment.CurrentDirectory, AppContext.BaseDirectory);

    /// <summary>Finds the data folder from the given inputs (the testable form of <see cref="Locate(string?)"/>).</summary>
    /// <param name="explicitPath">The folder given on the command line, or <c>null</c>.</param>
    /// <param name="environmentValue">The value of <c>DFID_DATA</c>, or <c>null</c>/empty when unset.</param>
    /// <param name="currentDirectory">The current directory.</param>
    /// <param name="toolDirectory">The folder of the running tool (its ancestors are searched too).</param>
    /// <returns>The full path of the data folder.</returns>
    /// <exception cref="DfidException">No folder found (exit code 2).</exception>
    public static string Locate(string? explicitPath, string? environmentValue, string currentDirectory, string toolDirectory)
    {
        ArgumentNullException.ThrowIfNull(currentDirectory);
        ArgumentNullException.ThrowIfNull(toolDirectory);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            var full = Path.GetFullPath(explicitPath, currentDirectory);
            if (Directory.Exists(full)) return full;
            throw new DfidException($"data folder not found: --data {explicitPath} (resolved to {full}); pass the folder that holds persuasionforgood/ and salestalk-ja/", 2);
        }
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            var full = Path.GetFullPath(environmentValue, currentDirectory);
            if (Directory.Exists(full)) return full;
            throw new DfidException($"data folder not found: {EnvironmentVariable}={environmentValue} (resolved to {full}); set {EnvironmentVariable} to the folder that holds persuasionforgood/ and salestalk-ja/, or unset it", 2);
        }
        var looked = new List<string>();
        foreach (var candidate in Candidates(currentDirectory, toolDirectory))
        {
            if (looked.Contains(candidate, StringComparer.Ordinal)) continue;
            looked.Add(candidate);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DfidException(
            "no data folder found. Pass --data DIR (the folder that holds persuasionforgood/ and salestalk-ja/), " +
            $"or set {EnvironmentVariable}=DIR, or put the data at ../shared/data beside the repository. Looked in: " +
            string.Join(", ", looked), 2);
    }

    /// <summary>Finds one dataset folder inside the data folder, e.g. <c>persuasionforgood</c>.</summary>
    /// <param name="explicitDataPath">The data folder given on the command line, or <c>null</c>.</param>
    /// <param name="dataset">The dataset's folder name.</param>
    /// <returns>The full path of the dataset folder.</returns>
    /// <exception cref="DfidException">The data folder or the dataset inside it is missing (exit code 2).</exception>
    public static string LocateDataset(string? explicitDataPath, string dataset)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataset);
        var data = Locate(explicitDataPath);
        var folder = Path.Combine(data, dataset);
        if (Directory.Exists(folder)) return folder;
        throw new DfidException($"dataset folder not found: {folder}; pass --in DIR pointing at the {dataset} folder, or --data DIR holding {dataset}/", 2);
    }

    private static IEnumerable<string> Candidates(string currentDirectory, string toolDirectory)
    {
        yield return Path.GetFullPath(Path.Combine(currentDirectory, "..", "shared", "data"));
        for (var dir = new DirectoryInfo(Path.GetFullPath(toolDirectory)); dir is not null; dir = dir.Parent)
            yield return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
    }
}
