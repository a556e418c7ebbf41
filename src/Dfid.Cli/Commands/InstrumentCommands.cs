using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the instrument verbs.</summary>
internal static class InstrumentCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddBranch("instrument", b =>
        {
            b.SetDescription("The decision-state instrument: validate it against human labels, label turns. SPEC: learned | llm:MODELSPEC.");
            b.AddCommand<InstrumentValidateCommand>("validate")
                .WithDescription("Agreement with human stage labels: n, accuracy, quadratic-weighted kappa, Krippendorff's alpha (ordinal), bootstrap CIs, confusion, per-stage precision/recall, majority baseline; criterion validity: the outcome signal at the 30/60/90% probes (resisting share, depth, AUC, Fisher p; human vs instrument), refusals labelled deciding, probability calibration. Learned: out-of-fold.")
                .WithExample("instrument", "validate", "--corpus", "p4g.jsonl", "--instrument", "learned", "--json");
            b.AddCommand<InstrumentLabelCommand>("label")
                .WithDescription("Label the user turns of a corpus and write one JSON line per turn.")
                .WithExample("instrument", "label", "--corpus", "p4g.jsonl", "--instrument", "llm:openai:gpt-4o-mini", "--limit", "50", "--out", "labels.jsonl");
        });
    }
}
