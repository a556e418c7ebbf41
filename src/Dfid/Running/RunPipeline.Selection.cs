using System.Text.Json;
using Dfid.Analysis;
using Dfid.Corpus;
using Dfid.Instrument;
using Dfid.Probing;
using Dfid.Simulation;
using Dfid.Store;

namespace Dfid.Running;

// The corpus side of the selection check's instrument resisting share (protocol: "engagement statistics (turns, user
// turns, resistance rate) for the full corpus versus the sampled subset").
public sealed partial class RunPipeline
{
    /// <summary>
    /// Per offline instrument of the run (its kind makes no model call), the resisting share of the real turns at the
    /// probe positions of every corpus conversation. Instruments that call a model are left out: labelling the whole
    /// corpus would cost what the run costs many times over. Shares recorded by an earlier session are reused while the
    /// instrument's identity (name and manifest options, e.g. the learned model's training hash) and the corpus are unchanged.
    /// </summary>
    private async Task<IReadOnlyList<CorpusResistingShare>> CorpusInstrumentSharesAsync(Experiment experiment, IReadOnlyList<Conversation> corpus,
        IEnumerable<IInstrument> instruments, IReadOnlyList<ComponentManifest> components, RunManifest? previous, string corpusHash, CancellationToken ct)
    {
        var reusable = previous?.CorpusSha256 == corpusHash ? previous.CorpusInstrumentShares ?? [] : [];
        var shares = new List<CorpusResistingShare>();
        foreach (var instrument in instruments.DistinctBy(i => i.Name))
        {
            if (!experiment.Instruments.TryGetValue(instrument.Name, out var spec) || _options.Registries.Instruments.Get(spec.Kind).UsesModel) continue;
            var description = components.FirstOrDefault(c => c.Role == "instrument" && c.Name == instrument.Name);
            var key = instrument.Name + "|" + PromptText.Sha256(JsonSerializer.Serialize(description?.Options))[..16];
            if (reusable.FirstOrDefault(s => s.Key == key) is { } known)
            {
                shares.Add(known);
                continue;
            }
            var items = corpus.SelectMany(c => ProbeSelector.Select(c, experiment.Probes).Where(p => p.Kind == ProbeKind.Depth)
                .Select(p => (C: c, Request: new LabelRequest(c, p.TurnIndex)))).ToList();
            _options.Log?.Report($"selection check: labelling the {items.Count} probed real turns of all {corpus.Count} corpus conversations with {instrument.Name}");
            var answers = await InstrumentValidation.LabelAllAsync(instrument, [.. items.Select(x => x.Request)], new InstrumentValidationOptions(), ct);
            var labelled = items.Zip(answers).Where(x => x.Second.IsOk && x.Second.Value is not null)
                .Select(x => (x.First.C.Outcome.Converted, Resisting: x.Second.Value!.Stage == Stage.Resisting)).ToList();
            var not = labelled.Where(x => x.Converted == false).ToList();
            var conv = labelled.Where(x => x.Converted == true).ToList();
            shares.Add(new CorpusResistingShare(instrument.Name, labelled.Count, SelectionChecks.Share(labelled, x => x.Resisting),
                not.Count, SelectionChecks.Share(not, x => x.Resisting), conv.Count, SelectionChecks.Share(conv, x => x.Resisting),
                items.Count - labelled.Count, key));
        }
        return shares;
    }

    /// <summary>Whether the run's human labels file differs from the one <paramref name="saved"/> was computed with (edited,
    /// or added to the experiment since): the labels are read at each analysis, so the results are then stale.</summary>
    private static bool HumanLabelsChanged(AnalysisResults saved, RunManifest? manifest)
    {
        if (manifest?.HumanLabels is not { } file) return saved.Selection?.HumanLabelsSha256 is not null;
        return !File.Exists(file.Path) || saved.Selection?.HumanLabelsSha256 != FileSha256(file.Path);
    }
}
