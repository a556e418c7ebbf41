using System.ComponentModel;
using System.Globalization;
using Dfid.Components;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Instrument;
using Dfid.Willingness;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid willingness validate</c>: out-of-fold AUC, Brier, calibration and hazard calibration of the willingness model.</summary>
internal sealed class WillingnessValidateCommand(IAnsiConsole console) : AsyncCommand<WillingnessValidateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--corpus <FILE>")]
        [Description("The dfid.corpus/1 file to train on and validate (its conversations need real outcomes).")]
        public string Corpus { get; init; } = "";

        [CommandOption("--train <FILE>")]
        [Description("Corpus with human stage labels to train the learned instrument on (default: --corpus).")]
        public string? Train { get; init; }

        [CommandOption("--cache-dir <DIR>")]
        [Description("Cache folder holding trained models and the embeddings cache, as for run and demo (default: $DFID_CACHE_DIR, $XDG_CACHE_HOME/dfid or ~/.cache/dfid).")]
        public string? CacheDir { get; init; }

        [CommandOption("--resamples <N>")]
        [Description("Bootstrap resamples of conversations for the 95% CIs (default 2000).")]
        public int Resamples { get; init; } = 2000;

        [CommandOption("--seed <N>")]
        [Description("Bootstrap seed (default 20261126).")]
        public int Seed { get; init; } = 20261126;

        [CommandOption("--json")]
        [Description("Print the report as JSON on stdout.")]
        public bool Json { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Corpus) ? ValidationResult.Error("--corpus FILE is required")
            : Resamples < 1 ? ValidationResult.Error("--resamples must be >= 1")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var corpus = Read(settings.Corpus);
        var cacheFolder = settings.CacheDir ?? CacheFolder.Default();
        var log = new SynchronousProgress(Console.Error.WriteLine);
        using var components = new ComponentContext(Core.Domain.ForDataset(corpus.FirstOrDefault()?.Source.Dataset), corpus, corpus, null,
            () => new CachingTextEmbedder(new MiniLmEmbedder(), LearnedInstrumentOptions.EmbeddingsCachePathIn(cacheFolder), ownsInner: true),
            cacheFolder, log: log);
        if (settings.Train is not null) components.With(LabellingSettings.Default with { TrainingCorpus = Read(settings.Train) });
        var model = await WillingnessModel.SharedAsync(components, sample: false, cancellationToken);
        var report = await Task.Run(() => WillingnessValidation.Run(model, corpus,
            new WillingnessValidationOptions { Resamples = settings.Resamples, Seed = settings.Seed }, log, cancellationToken), cancellationToken);
        if (settings.Json) console.Profile.Out.Writer.WriteLine(report.ToJson());
        else Render(report);
        return 0;
    }

    private static IReadOnlyList<Conversation> Read(string path)
    {
        if (!File.Exists(path)) throw new DfidException($"{path}: corpus file not found (create one with dfid corpus import).", 2);
        return CorpusFile.ReadAll(path);
    }

    private void Render(WillingnessReport r)
    {
        static string F(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.000", CultureInfo.InvariantCulture) : "–";
        static string Ci(IntervalEstimate e) => $"[{F(e.Low)}, {F(e.High)}]";
        static string CiCell(IntervalEstimate e) => Markup.Escape(Ci(e));
        console.MarkupLine(Markup.Escape($"willingness model {r.TrainingHash[..16]}: {r.Conversations} conversations ({r.ConvertedConversations} converted), " +
            $"{r.Points} points, {r.Folds} folds; {r.OutOfFold} of {r.Points} points scored out-of-fold"));
        var t = new Table().Title(Markup.Escape("P(converted): out-of-fold AUC [95% CI] and Brier, model vs position-only baseline"))
            .AddColumn("points").AddColumn(new TableColumn("n (y=0/y=1)").RightAligned())
            .AddColumn(new TableColumn("AUC").RightAligned()).AddColumn(new TableColumn("95% CI").RightAligned()).AddColumn(new TableColumn("Brier").RightAligned())
            .AddColumn(new TableColumn("baseline AUC").RightAligned()).AddColumn(new TableColumn("95% CI").RightAligned()).AddColumn(new TableColumn("Brier").RightAligned())
            .AddColumn(new TableColumn("AUC gain").RightAligned()).AddColumn(new TableColumn("95% CI").RightAligned());
        foreach (var o in r.Outcome)
            t.AddRow(o.Points, $"{o.NotConverted}/{o.Converted}", F(o.Auc.Value), CiCell(o.Auc), F(o.Brier), F(o.BaselineAuc.Value), CiCell(o.BaselineAuc), F(o.BaselineBrier),
                F(o.AucGain.Value), CiCell(o.AucGain));
        console.Write(t);
        var c = new Table().Title("calibration of P(converted), all points").AddColumn("bin").AddColumn(new TableColumn("n").RightAligned())
            .AddColumn(new TableColumn("mean predicted").RightAligned()).AddColumn(new TableColumn("observed").RightAligned());
        foreach (var b in r.Calibration) c.AddRow(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"({b.Low:0.0}, {b.High:0.0}]")), b.N.ToString(CultureInfo.InvariantCulture), F(b.MeanPredicted), F(b.Observed));
        console.Write(c);
        var h = r.Hazard;
        var ht = new Table().Title(Markup.Escape($"exit hazard of non-converters: {h.Exits} real exits at {h.AtRisk} at-risk points; expected {h.Expected:0.0} (model), {h.BaselineExpected:0.0} (position-only)"))
            .AddColumn("user turns so far").AddColumn(new TableColumn("at risk").RightAligned()).AddColumn(new TableColumn("real exits").RightAligned())
            .AddColumn(new TableColumn("expected").RightAligned()).AddColumn(new TableColumn("expected (position-only)").RightAligned());
        foreach (var b in h.ByPosition)
            ht.AddRow(b.UserTurns, b.AtRisk.ToString(CultureInfo.InvariantCulture), b.Exits.ToString(CultureInfo.InvariantCulture),
                b.Expected.ToString("0.0", CultureInfo.InvariantCulture), b.BaselineExpected.ToString("0.0", CultureInfo.InvariantCulture));
        console.Write(ht);
        console.MarkupLine(Markup.Escape($"hazard AUC {F(h.Auc.Value)} {Ci(h.Auc)}, Brier {F(h.Brier)}; position-only AUC {F(h.BaselineAuc.Value)} {Ci(h.BaselineAuc)}, Brier {F(h.BaselineBrier)}"));
        console.MarkupLine(Markup.Escape($"exit draws of a gated simulator over all points: expected {h.MarginalExpected:0.0} exits = Σ (1 − P(converted))·hazard, real {h.MarginalExits}"));
    }
}
