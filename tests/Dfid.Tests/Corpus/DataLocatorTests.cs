using Dfid.Corpus;

namespace Dfid.Tests.Corpus;

public class DataLocatorTests
{
    [Fact]
    public void Locate_ExplicitFolder_WinsOverEverything()
    {
        var explicitDir = TestData.TempDir();
        var envDir = TestData.TempDir();
        Assert.Equal(explicitDir, DataLocator.Locate(explicitDir, envDir, "/", "/"));
    }

    [Fact]
    public void Locate_EnvironmentVariable_WhenNoExplicitFolder()
    {
        var envDir = TestData.TempDir();
        Assert.Equal(envDir, DataLocator.Locate(null, envDir, "/", "/"));
    }

    [Fact]
    public void Locate_SharedDataBesideCurrentDirectory()
    {
        var root = TestData.TempDir();
        var repo = Directory.CreateDirectory(Path.Combine(root, "clone")).FullName;
        var data = Directory.CreateDirectory(Path.Combine(root, "shared", "data")).FullName;
        Assert.Equal(data, DataLocator.Locate(null, null, repo, "/nonexistent/tool"));
    }

    [Fact]
    public void Locate_SharedDataBesideAnAncestorOfTheTool()
    {
        var root = TestData.TempDir();
        var bin = Directory.CreateDirectory(Path.Combine(root, "clone", "src", "bin", "Release")).FullName;
        var data = Directory.CreateDirectory(Path.Combine(root, "shared", "data")).FullName;
        var elsewhere = TestData.TempDir();
        Assert.Equal(data, DataLocator.Locate(null, "", elsewhere, bin));
    }

    [Fact]
    public void Locate_NothingFound_SaysExactlyWhatToPass()
    {
        var empty = TestData.TempDir();

        var ex = Assert.Throws<DfidException>(() => DataLocator.Locate(null, null, empty, empty));

        Assert.Equal(2, ex.ExitCode);
        Assert.Contains("Pass --data DIR", ex.Message);
        Assert.Contains("DFID_DATA=DIR", ex.Message);
        Assert.Contains("../shared/data", ex.Message);
        Assert.Contains(Path.GetFullPath(Path.Combine(empty, "..", "shared", "data")), ex.Message);
    }

    [Fact]
    public void Locate_MissingExplicitFolder_IsAnErrorNotAFallback()
    {
        var ex = Assert.Throws<DfidException>(() => DataLocator.Locate("/nonexistent/data", TestData.TempDir(), "/", "/"));
        Assert.Contains("--data /nonexistent/data", ex.Message);
    }

    [Fact]
    public void Locate_MissingEnvironmentFolder_NamesTheVariable()
    {
        var ex = Assert.Throws<DfidException>(() => DataLocator.Locate(null, "/nonexistent/env-data", "/", "/"));
        Assert.Contains("DFID_DATA=/nonexistent/env-data", ex.Message);
    }

    [Fact]
    public void Locate_FromThisTestRun_FindsTheSharedData()
    {
        Assert.Equal(TestData.Data, DataLocator.Locate(null, null, TestData.RepoRoot, AppContext.BaseDirectory));
    }
}
