using NetArchTest.Rules;

namespace Dfid.Tests.Architecture;

/// <summary>The flow reads forward: which folders (namespaces) of the library may depend on which.</summary>
public sealed class ArchitectureTests
{
    private static readonly System.Reflection.Assembly Library = typeof(Dfid.Core.Stage).Assembly;

    /// <summary>The library's folders: the namespaces right under <c>Dfid</c> (a folder includes its sub-namespaces).</summary>
    private static readonly string[] Folders = Library.GetTypes()
        .Select(t => t.Namespace)
        .Where(n => n is not null && n.StartsWith("Dfid.", StringComparison.Ordinal))
        .Select(n => "Dfid." + n!.Split('.')[1])
        .Distinct(StringComparer.Ordinal)
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>Folder → the folders its types reference.</summary>
    private static readonly Lazy<Dictionary<string, HashSet<string>>> Graph = new(() =>
        Folders.ToDictionary(from => from, from => Folders.Where(to => to != from && DependsOn(from, to)).ToHashSet(StringComparer.Ordinal)));

    private static bool DependsOn(string from, string to) =>
        !Types.InAssembly(Library).That().ResideInNamespace(from).Should().NotHaveDependencyOnAny(to).GetResult().IsSuccessful;

    [Fact]
    public void Folders_AreTheFlowsStages() =>
        Assert.Equal(
            ["Dfid.Agents", "Dfid.Analysis", "Dfid.Annotation", "Dfid.Components", "Dfid.Core", "Dfid.Corpus", "Dfid.Embeddings", "Dfid.Instrument", "Dfid.Models",
             "Dfid.Probing", "Dfid.Reporting", "Dfid.Running", "Dfid.Simulation", "Dfid.Store", "Dfid.Willingness"],
            Folders);

    [Fact]
    public void Core_DependsOnNoOtherFolder() => Assert.Empty(Graph.Value["Dfid.Core"]);

    [Fact]
    public void Analysis_DependsOnlyOnTheCore()
    {
        // Pure statistics over the probe table: no store, run, report, model or embedding (nor anything else) behind it.
        Assert.Subset(new HashSet<string> { "Dfid.Core" }, Graph.Value["Dfid.Analysis"]);
        foreach (var forbidden in new[] { "Dfid.Store", "Dfid.Running", "Dfid.Reporting", "Dfid.Models", "Dfid.Embeddings" })
            Assert.False(DependsOn("Dfid.Analysis", forbidden), $"Analysis references {forbidden}");
    }

    [Fact]
    public void Reporting_RendersResultsOnly()
    {
        Assert.Subset(new HashSet<string> { "Dfid.Analysis", "Dfid.Core" }, Graph.Value["Dfid.Reporting"]);
        foreach (var forbidden in new[] { "Dfid.Store", "Dfid.Running", "Dfid.Models" })
            Assert.False(DependsOn("Dfid.Reporting", forbidden), $"Reporting references {forbidden}");
    }

    [Fact]
    public void Store_DoesNotKnowAnalysisOrTheRun()
    {
        foreach (var forbidden in new[] { "Dfid.Analysis", "Dfid.Running", "Dfid.Reporting", "Dfid.Instrument", "Dfid.Simulation" })
            Assert.False(DependsOn("Dfid.Store", forbidden), $"Store references {forbidden}");
    }

    [Fact]
    public void Library_NeverReferencesTheCli()
    {
        Assert.DoesNotContain(Library.GetReferencedAssemblies(), a => a.Name == "dfid");
        Assert.True(Types.InAssembly(Library).Should().NotHaveDependencyOnAny("Dfid.Cli").GetResult().IsSuccessful);
    }

    [Fact]
    public void Folders_HaveNoCycle()
    {
        // Depth-first search for a back edge; the message names the cycle.
        var graph = Graph.Value;
        var state = Folders.ToDictionary(f => f, _ => 0, StringComparer.Ordinal);
        var path = new List<string>();
        string? Visit(string f)
        {
            state[f] = 1;
            path.Add(f);
            foreach (var to in graph[f].Order(StringComparer.Ordinal))
            {
                if (state[to] == 1) return string.Join(" → ", path.SkipWhile(p => p != to).Append(to));
                if (state[to] == 0 && Visit(to) is { } cycle) return cycle;
            }
            path.RemoveAt(path.Count - 1);
            state[f] = 2;
            return null;
        }
        foreach (var f in Folders)
            if (state[f] == 0 && Visit(f) is { } cycle) Assert.Fail("folder cycle: " + cycle);
    }

    [Fact]
    public void Graph_MatchesTheArchitectureDoc()
    {
        // docs/architecture.md lists which folder uses which; a change to the graph changes the doc in the same commit.
        var doc = File.ReadAllText(Path.Combine(TestData.RepoRoot, "docs", "architecture.md"));
        var rows = Graph.Value.Select(kv => $"| {kv.Key[5..]} | {string.Join(", ", kv.Value.Select(t => t[5..]).Order(StringComparer.Ordinal))} |");
        var missing = rows.Where(r => !doc.Contains(r, StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "docs/architecture.md lacks the rows:\n" + string.Join("\n", missing));
    }
}
