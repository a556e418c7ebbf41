using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the models verbs.</summary>
internal static class ModelsCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddBranch("models", b =>
        {
            b.SetDescription("Check model endpoints and download local GGUF models.");
            b.AddCommand<ModelsCheckCommand>("check").WithDescription("Send one small request and one JSON-schema request to a model spec.")
                .WithExample("models", "check", "openai:gpt-4o-mini")
                .WithExample("models", "check", "openai:qwen2.5@http://127.0.0.1:8080/v1", "--json");
            b.AddCommand<ModelsPullCommand>("pull").WithDescription("Download a GGUF model (named or by URL) into the user cache folder.")
                .WithExample("models", "pull", "qwen2.5-0.5b-instruct");
            b.AddCommand<ModelsListCommand>("list").WithDescription("List the named GGUF models and whether they are downloaded.");
        });
    }
}
