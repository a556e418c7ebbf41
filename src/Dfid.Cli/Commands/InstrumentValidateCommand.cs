using System.ComponentModel;
using System.Globalization;
using Dfid.Instrument;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid instrument validate</c>: agreement of an instrument with human stage labels.</summary>
internal sealed class InstrumentValidateCommand(IAnsiConsole console) : AsyncCommand<InstrumentValidateCommand.Settings>
{
    public sealed class Settings : InstrumentSettings
    {
        [CommandOption("--resamples <N>")]
        [Description("Bootstrap resamples of conversations for the 95% CIs (default 2000).")]
        public int Resamples { get; init; } = 2000;

        [CommandOption("--seed <N>")]
        [Description("Bootstrap seed (default 20261126).")]
        public int Seed { get; init; } = 20261126;

        [CommandOption("--json")]
        [Description("Print the report as JSON on stdout.")]
        public bool Json { get; init; }

        [CommandOption("--labels <FILE>")]
        [Description("Validate against this labels file (dfid.labels/1, from dfid labels export) instead of the corpus's mapped acts; a turn with several annotators takes their majority stage (a tie: the annotator first in the file).")]
        public string? Labels { get; init; }

        [CommandOption("--annotator <NAME>")]
        [Description("With --labels: use this annotator's labels alone instead of the consensus.")]
        public string? Annotator { get; init; }

        public override ValidationResult Validate() =>
            Resamples < 1 ? ValidationResult.Error("--resamples must be >= 1")
            : Annotator is not null && Labels is null ? ValidationResult.Error("--annotator needs --labels FILE")
            : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var session = await InstrumentSession.OpenAsync(settings, cancellationToken);
        var options = session.ValidationOptions(settings);
        options.Resamples = settings.Resamples;
        options.Seed = settings.Seed;
        var report = settings.Labels is { } labelsPath
            ? await InstrumentValidation.RunAsync(session.Corpus, session.Instrument,
                LabelsFileHumanLabels.Read(labelsPath, settings.Annotator, session.Corpus.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal)),
                options, cancellationToken)
            : await InstrumentValidation.RunAsync(session.Corpus, session.Instrument, session.Mapping, options, cancellationToken);
        if (settings.Json) console.Profile.Out.Writer.WriteLine(report.ToJson());
        else Render(report);
        if (report.Failures > 0)
        {
            Console.Error.WriteLine($"warning: the instrument failed on {report.Failures} turn(s), left out of the figures; e.g. {report.FailureExamples[0]}");
            return 1;
        }
        return 0;
    }

    private void Render(ValidationReport r)
    {
        static string F(double v) => double.IsFinite(v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "–";
        static string Ci(double[] ci) => Markup.Escape($"[{F(ci[0])}, {F(ci[1])}]");
        if (r.Labels is { } l)
            console.MarkupLine(Markup.Escape($"human stages from {l.File}: {l.Rule}; annotators {string.Join(", ", l.Annotators)}; " +
                $"{l.TurnsWithSeveralAnnotators} turn(s) with several annotators, {l.Disagreements} of them with different stages"));
        var t = new Table().Title(Markup.Escape($"{r.Instrument} vs human '{r.LabelSet}' stages ({(r.OutOfFold ? "out-of-fold" : "held-out model")}; {r.Conversations} conversations)"))
            .AddColumn("").AddColumn(new TableColumn("instrument").RightAligned()).AddColumn(new TableColumn("95% CI").RightAligned())
            .AddColumn(new TableColumn($"baseline ({r.BaselineStage})").RightAligned());
        t.AddRow("n", r.N.ToString(CultureInfo.InvariantCulture), "", r.Baseline.N.ToString(CultureInfo.InvariantCulture));
        t.AddRow("accuracy", F(r.Accuracy), Ci(r.Ci.Accuracy), F(r.Baseline.Accuracy));
        t.AddRow("kappa (quadratic)", F(r.KappaQuadratic), Ci(r.Ci.KappaQuadratic), F(r.Baseline.KappaQuadratic));
        t.AddRow("alpha (ordinal)", F(r.KrippendorffAlphaOrdinal), Ci(r.Ci.KrippendorffAlphaOrdinal), F(r.Baseline.KrippendorffAlphaOrdinal));
        console.Write(t);
        var names = StateNames.All<Stage>();
        var c = new Table().Title("confusion (rows human, columns instrument)").AddColumn("");
        foreach (var n in names) c.AddColumn(new TableColumn(n).RightAligned());
        c.AddColumn(new TableColumn("precision").RightAligned()).AddColumn(new TableColumn("recall").RightAligned());
        for (var i = 0; i < names.Count; i++)
            c.AddRow([names[i], .. r.Confusion[i].Select(v => v.ToString(CultureInfo.InvariantCulture)), F(r.PerStage[i].Precision), F(r.PerStage[i].Recall)]);
        console.Write(c);
        static string P(double v) => double.IsFinite(v) ? (v < 0.001 ? "<0.001" : v.ToString("0.000", CultureInfo.InvariantCulture)) : "–";
        static string Pct(double v) => double.IsFinite(v) ? Math.Round(100 * v, 1).ToString("0.0", CultureInfo.InvariantCulture).Replace("-0.0", "0.0", StringComparison.Ordinal) : "–";
        static string Diff(double v) => double.IsFinite(v) ? (100 * v).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) : "–";
        // One row per probe and labelling, narrow enough for an 80-column terminal.
        var o = new Table().Border(TableBorder.Minimal)
            .Title("outcome signal at the probes: non-converters vs converters, human labels and instrument on the same turns")
            .AddColumn("probe").AddColumn("labels");
        foreach (var h in new[] { "resist%", "conv.", "diff", "p", "depth", "conv.", "AUC" }) o.AddColumn(new TableColumn(h).RightAligned());
        static string F2(double v) => double.IsFinite(v) ? v.ToString("0.00", CultureInfo.InvariantCulture) : "–";
        foreach (var s in r.OutcomeSignal)
            foreach (var (who, x) in new[] { ("human", s.Human), ("instr.", s.Instrument) })
                o.AddRow(s.Position.ToString("0.0#", CultureInfo.InvariantCulture), who,
                    Pct(x.ResistingNotConverted), Pct(x.ResistingConverted), Diff(x.ResistingDifference), P(x.FisherP),
                    F2(x.MeanDepthNotConverted), F2(x.MeanDepthConverted), F(x.DepthAuc));
        console.Write(o);
        string At(double position) => position.ToString("0.0#", CultureInfo.InvariantCulture);
        if (r.OutcomeSignal.Count > 0)
        {
            console.MarkupLine(Markup.Escape("turns (non-converters/converters): " +
                string.Join(", ", r.OutcomeSignal.Select(s => $"{s.Human.NotConverted}/{s.Human.Converted} at {At(s.Position)}"))));
            console.MarkupLine(Markup.Escape("share of the human resisting difference the instrument keeps: " +
                string.Join(", ", r.OutcomeSignal.Select(s => $"{Pct(s.KeptShare)}% at {At(s.Position)}"))));
        }
        console.MarkupLine(Markup.Escape($"refusal check: {r.Refusals.AtDeciding} of {r.Refusals.HumanResisting} human-resisting turns labelled deciding ({Pct(r.Refusals.Share)}%)"));
        if (r.Calibration is { } cal)
            console.MarkupLine(Markup.Escape($"stage probabilities: Brier {F(cal.Brier)}, expected calibration error {F(cal.ExpectedCalibrationError)} ({cal.Bins} bins, {cal.N} turns)"));
        console.MarkupLine(Markup.Escape($"user turns without a mapped stage (not scored): {r.UserTurnsWithoutStage}; failures: {r.Failures}"));
    }
}
