using System.Text.Json;
using Dfid.Analysis;
using N = Dfid.Reporting.ReportNumbers;

namespace Dfid.Reporting;

// The sections a team running dfid on its own data needs: how the instrument was trained (and whether it is applied out of
// domain), and the protocol's selection check (corpus versus sample).
internal static partial class ReportBuilder
{
    /// <summary>One paragraph per learned instrument trained on named sources (<c>train:</c>): what on, how it validated
    /// there, and whether it is applied out of domain. Null when no instrument names its training sources.</summary>
    private static ReportSection? TrainingSection(JsonElement? manifest)
    {
        if (manifest is not { ValueKind: JsonValueKind.Object } m || !m.TryGetProperty("components", out var components) || components.ValueKind != JsonValueKind.Array)
            return null;
        var blocks = new List<ReportBlock>();
        foreach (var c in components.EnumerateArray())
        {
            if (Text(c, "role") != "instrument" || !c.TryGetProperty("options", out var o) || o.ValueKind != JsonValueKind.Object) continue;
            if (Text(o, "training_sources") is not { } sources) continue;
            var name = Text(c, "name") ?? "learned";
            var outOfDomain = Text(o, "applied_out_of_domain") == "yes";
            blocks.Add(new ParagraphBlock([
                new TextRun($"Instrument '{name}': ", Strong: true),
                new TextRun($"trained on {sources}. "),
                new TextRun(outOfDomain ? "Applied out of domain: " : "Applied in domain: ", Strong: true),
                new TextRun(outOfDomain
                    ? $"none of the run's conversations was in its training data (run conversations in training: {Text(o, "run_conversations_in_training")}; training datasets: {Text(o, "training_datasets")}; run dataset: {Text(o, "run_dataset") ?? "unknown"}). "
                    : $"the run's conversations in its training data: {Text(o, "run_conversations_in_training")}; they are labelled by the fold model that did not see them. "),
                new TextRun("How it validated where it was trained: ", Strong: true),
                new TextRun((Text(o, "training_validation") ?? "not recorded") + ". "),
                new TextRun(outOfDomain
                    ? "Its agreement with human labels of this corpus is unknown until it is validated on them: label a random sample (dfid annotate CORPUS --sample 200), then dfid instrument validate --corpus CORPUS --labels LABELS; with human_labels: in the experiment the labelled probed turns also enter the validation and the prediction-powered estimate."
                    : "The validation section shows its agreement with the human labels of this run's probed turns, where there are any."),
            ]));
        }
        return blocks.Count == 0 ? null : new ReportSection("instrument-training", "Instrument training", blocks);
    }

    private static string? Text(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The selection check: engagement of the corpus versus the run's conversations, per outcome stratum, and the
    /// instrument's resisting share of the probed real turns. Null when the results carry none.</summary>
    private static ReportSection? SelectionSection(AnalysisResults r)
    {
        if (r.Selection is not { } s) return null;
        var corpus = s.Corpus;
        var sample = s.Sample;
        IReadOnlyList<ReportCell> Stat(string label, Func<EngagementGroup, ReportCell> cell) =>
        [
            label,
            corpus is null ? new ReportCell(N.Missing, null, true) : cell(corpus.All), cell(sample.All),
            corpus is null ? new ReportCell(N.Missing, null, true) : cell(corpus.NonConverters), cell(sample.NonConverters),
            corpus is null ? new ReportCell(N.Missing, null, true) : cell(corpus.Converters), cell(sample.Converters),
        ];
        var missing = new ReportCell(N.Missing, null, true);
        var rows = new List<IReadOnlyList<ReportCell>>
        {
            Stat("conversations", g => Int(g.Conversations)),
            Row("converted share", corpus is null ? missing : Share(corpus.ConvertedShare), Share(sample.ConvertedShare), Blank, Blank, Blank, Blank),
            Row("unknown outcome", corpus is null ? missing : Int(corpus.UnknownOutcome), Int(sample.UnknownOutcome), Blank, Blank, Blank, Blank),
            Stat("turns per conversation, mean", g => Est(g.MeanTurns)),
            Stat("turns per conversation, median", g => Est(g.MedianTurns)),
            Stat("user turns per conversation, mean", g => Est(g.MeanUserTurns)),
            Stat("user turns per conversation, median", g => Est(g.MedianUserTurns)),
            Stat("human-labelled user turns", g => Int(g.HumanLabelledTurns)),
            Stat("human resisting share", g => Share(g.HumanResistingShare)),
        };
        var blocks = new List<ReportBlock>
        {
            new ParagraphBlock("The protocol's selection check: the engagement of the whole corpus beside that of the run's conversations, so that sampling cannot quietly create the effect. "
                + "Compare within a stratum: an outcome-balanced sample has a converted share of one half by design. "
                + (s.HumanLabels is { } h ? $"Human stages: {h}." : "No human stages: the resisting shares by human labels are not available.")),
        };
        if (corpus is null)
            blocks.Add(new ParagraphBlock("The run did not record the corpus statistics (it was made by an earlier version); run the experiment again: it resumes with nothing to do and records them."));
        blocks.Add(new TableBlock(new ReportTable("selection", "Selection check: corpus versus the run's conversations, overall and per outcome stratum.",
            ["statistic", "corpus", "sample", "corpus (y=0)", "sample (y=0)", "corpus (y=1)", "sample (y=1)"], rows)));
        if (s.Instruments.Count > 0)
        {
            var missing2 = new ReportCell(N.Missing, null, true);
            IReadOnlyList<ReportCell> Line(InstrumentResistingShare i)
            {
                var c = s.CorpusInstruments?.FirstOrDefault(x => x.Instrument == i.Instrument);
                return [i.Instrument, c is null ? missing2 : Int(c.Probes), Int(i.Probes), c is null ? missing2 : Share(c.ResistingShare), Share(i.ResistingShare),
                    c is null ? missing2 : Share(c.ResistingShareNotConverted), Share(i.ResistingShareNotConverted),
                    c is null ? missing2 : Share(c.ResistingShareConverted), Share(i.ResistingShareConverted),
                    Int(i.HumanLabelledProbes), Share(i.HumanResistingShare), Share(i.InstrumentResistingShareOnLabelled)];
            }
            blocks.Add(new TableBlock(new ReportTable("selection-instrument",
                "Resisting share of the real turns at the probe positions by each instrument: every corpus conversation (offline instruments only; an instrument that calls a model is not run over the whole corpus) beside the run's probed turns, and the human share on the probed turns that carry a human stage.",
                ["instrument", "corpus turns", "sample turns", "corpus resisting", "sample resisting", "corpus (y=0)", "sample (y=0)", "corpus (y=1)", "sample (y=1)",
                    "human-labelled probes", "human resisting", "instrument resisting (same turns)"],
                [.. s.Instruments.Select(Line)])));
        }
        return new ReportSection("selection-check", "Selection check", blocks);
    }

    private static readonly ReportCell Blank = new("", null, true);

    private static ReportCell Share(double? share) => Pct(share is { } v ? 100 * v : null);
}
