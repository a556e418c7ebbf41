using Dfid.Analysis;

namespace Dfid.Reporting;

/// <summary>Writes the report of a run's analysis results.</summary>
public interface IReportWriter
{
    /// <summary>Writes report.html, report.md, results.json, tables/*.csv and figures/*.svg|png into <paramref name="outDir"/>.</summary>
    /// <param name="results">The analysis results (rendered, never recomputed).</param>
    /// <param name="extras">Presentation choices and run facts.</param>
    /// <param name="outDir">Output folder (created when missing; files in it are replaced).</param>
    /// <param name="cancellationToken">Cancels between files.</param>
    Task<ReportFiles> WriteAsync(AnalysisResults results, ReportInputs extras, string outDir, CancellationToken cancellationToken = default);
}
