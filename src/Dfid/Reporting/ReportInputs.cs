using System.Text.Json;

namespace Dfid.Reporting;

/// <summary>What the report shows beyond <see cref="Dfid.Analysis.AnalysisResults"/>: presentation choices and run facts.</summary>
public sealed record ReportInputs
{
    /// <summary>Report title.</summary>
    /// <value>The default value is "Decision fidelity report".</value>
    public string Title { get; init; } = "Decision fidelity report";

    /// <summary>A line under the title (e.g. the run folder or experiment name); empty for none.</summary>
    public string Subtitle { get; init; } = "";

    /// <summary>Condition whose D̄ distribution is plotted; null (or an unknown name) picks the condition with the largest Δ.</summary>
    public string? DistributionCondition { get; init; }

    /// <summary>The run manifest, used when the results carry none (it is then also written into results.json).</summary>
    public JsonElement? Manifest { get; init; }

    /// <summary>Tool version printed in the footer.</summary>
    /// <value>The default value is the library's informational version.</value>
    public string ToolVersion { get; init; } = typeof(ReportInputs).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";

    /// <summary>Time stamp printed in the footer; null prints none (keeps output byte-identical across runs).</summary>
    public DateTimeOffset? GeneratedAt { get; init; }
}

/// <summary>The files a report consists of.</summary>
/// <param name="Directory">Output folder.</param>
/// <param name="Html">report.html.</param>
/// <param name="Markdown">report.md.</param>
/// <param name="ResultsJson">results.json.</param>
/// <param name="Tables">tables/*.csv.</param>
/// <param name="Figures">figures/*.svg and figures/*.png.</param>
public sealed record ReportFiles(string Directory, string Html, string Markdown, string ResultsJson, IReadOnlyList<string> Tables, IReadOnlyList<string> Figures);
