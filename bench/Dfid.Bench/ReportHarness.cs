using System.Diagnostics;
using Dfid.Analysis;
using Dfid.Reporting;

namespace Dfid.Bench;

/// <summary>Time to write the full report (HTML, Markdown, JSON, CSV, SVG, PNG) of a 2,790-conversation, 3-condition run.</summary>
/// <remarks><c>dotnet run -c Release --project bench/Dfid.Bench -- report [repeats]</c>; exits 1 when the cold write takes 5 s or more.</remarks>
public sealed class ReportHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "report";

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        var repeats = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
        var rows = SyntheticProbeTable.Generate(new SyntheticSpec(2790, 793, ["persona", "instructed", "backbone"], 0.3,
            WideStages: true, FailureRate: 0.02, HumanLabelRate: 0.1, FullContextRate: 1.0, WithTexts: true));
        // The report does not depend on the resample counts; small ones keep the (untimed) analysis short.
        var results = DecisionFidelityAnalysis.Analyze(rows, new AnalysisOptions { Permutations = 2000, BootstrapResamples = 500 });
        var inputs = new ReportInputs { Subtitle = "benchmark: 2,790 conversations x 3 conditions" };
        var root = Path.Combine(Path.GetTempPath(), "dfid-report-bench-" + Guid.NewGuid().ToString("N"));
        Console.WriteLine($"{results.Conditions.Count} conditions, {results.Conditions.Sum(c => c.NConverted + c.NNotConverted)} analysed conversation-conditions, {rows.Count} probe rows, {Environment.ProcessorCount} cores");
        try
        {
            var writer = new ReportWriter();
            // Cold: the first report in a fresh process (JIT, SkiaSharp and font loading included), as `dfid report` pays it.
            var sw = Stopwatch.StartNew();
            var files = await writer.WriteAsync(results, inputs, Path.Combine(root, "cold"), CancellationToken.None);
            var cold = sw.Elapsed.TotalSeconds;
            var warm = new double[repeats];
            for (var i = 0; i < repeats; i++)
            {
                sw.Restart();
                await writer.WriteAsync(results, inputs, Path.Combine(root, "warm" + i), CancellationToken.None);
                warm[i] = sw.Elapsed.TotalSeconds;
            }
            Array.Sort(warm);
            var html = new FileInfo(files.Html).Length;
            Console.WriteLine($"files: report.html {html / 1024.0:0} KiB, report.md {new FileInfo(files.Markdown).Length / 1024.0:0} KiB, {files.Tables.Count} CSV tables, {files.Figures.Count} figure files");
            Console.WriteLine($"cold write (first in process): {cold * 1000,8:0} ms   target < 5000 ms");
            Console.WriteLine($"warm write, median of {repeats}:      {warm[repeats / 2] * 1000,8:0} ms");
            var ok = cold < 5.0;
            Console.WriteLine(ok ? "target met" : "TARGET MISSED");
            return ok ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
