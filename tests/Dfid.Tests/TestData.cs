namespace Dfid.Tests;

/// <summary>Finds the repository root and the shared real data (<c>../shared</c> beside the clone).</summary>
internal static class TestData
{
    /// <summary>The repository root (the folder holding <c>dfid.slnx</c>).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>../shared</c> beside the repository.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>The real data folder.</summary>
    public static string Data => Path.Combine(Shared, "data");

    /// <summary>The PersuasionForGood folder.</summary>
    public static string PersuasionForGood => Path.Combine(Data, "persuasionforgood");

    /// <summary>The salestalk-ja folder.</summary>
    public static string SalesTalkJa => Path.Combine(Data, "salestalk-ja");

    /// <summary>The tiny GGUF model.</summary>
    public static string TinyGguf => Path.Combine(Shared, "models", "stories260K.gguf");

    /// <summary>A fixture file of this test project.</summary>
    public static string Fixture(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    /// <summary>A fresh temporary folder, removed by the OS eventually.</summary>
    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dfid-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "dfid.slnx"))) return dir.FullName;
        throw new InvalidOperationException("dfid.slnx not found above " + AppContext.BaseDirectory);
    }
}
