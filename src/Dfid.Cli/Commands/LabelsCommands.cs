using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the labels verbs.</summary>
internal static class LabelsCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddBranch("labels", b =>
        {
            b.SetDescription("Export, check and compare human labels (dfid.labels/1 JSON Lines).");
            b.AddCommand<LabelsExportCommand>("export")
                .WithDescription("Write the current labels of an annotation store as a dfid.labels/1 file.")
                .WithExample("labels", "export", "--store", "annotations/p4g/labels.sqlite", "--out", "labels.jsonl");
            b.AddCommand<LabelsValidateCommand>("validate")
                .WithDescription("List every problem of a labels file as FILE:LINE: reason (with --corpus: ids, turns and roles too); exit 1 if any.")
                .WithExample("labels", "validate", "labels.jsonl", "--corpus", "p4g.jsonl");
            b.AddCommand<LabelsAgreementCommand>("agreement")
                .WithDescription("Agreement between annotators on the turns both labelled: quadratic-weighted kappa and ordinal alpha, pair by pair.")
                .WithExample("labels", "agreement", "labels.jsonl");
        });
    }
}
