using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the corpus verbs.</summary>
internal static class CorpusCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddBranch("corpus", b =>
        {
            b.SetDescription("Import, check, describe and sample conversation corpora (dfid.corpus/1 JSON Lines).");
            b.AddCommand<CorpusImportCommand>("import")
                .WithDescription("Convert a source (persuasionforgood, salestalk-ja, jsonl, openai-chat, csv) into a dfid.corpus/1 file.")
                .WithExample("corpus", "import", "--format", "persuasionforgood", "--out", "p4g.jsonl");
            b.AddCommand<CorpusValidateCommand>("validate")
                .WithDescription("List every problem of a corpus file as FILE:LINE: reason; exit 1 if any.")
                .WithExample("corpus", "validate", "p4g.jsonl");
            b.AddCommand<CorpusStatsCommand>("stats")
                .WithDescription("Outcome and engagement statistics of a corpus or subset (the selection check).")
                .WithExample("corpus", "stats", "p4g.jsonl", "--where", "converted", "--json");
            b.AddCommand<CorpusSampleCommand>("sample")
                .WithDescription("Draw N conversations per outcome stratum, deterministic for a seed.")
                .WithExample("corpus", "sample", "p4g.jsonl", "--balanced", "100", "--seed", "7", "--out", "sample.jsonl");
        });
    }
}
