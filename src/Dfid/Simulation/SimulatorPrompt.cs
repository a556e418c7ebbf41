namespace Dfid.Simulation;

/// <summary>The templates of an LLM simulator: an optional system message and the user message, with <c>{placeholders}</c>.</summary>
/// <remarks>
/// Placeholders: <c>{profile}</c> (the real profile as natural language), <c>{history}</c> (the real turns before the
/// probe, agent turns labelled with <c>{agent_label}</c>, user turns with "You"), <c>{agent}</c>, <c>{agent_label}</c>,
/// <c>{decision}</c>, <c>{setting}</c> (domain words) and <c>{domain}</c> (same as <c>{decision}</c>).
/// </remarks>
/// <param name="Name">Prompt name recorded in the manifest (e.g. <c>persona</c>).</param>
/// <param name="SystemTemplate">System message template, or <c>null</c> for none.</param>
/// <param name="UserTemplate">User message template.</param>
public sealed record SimulatorPrompt(string Name, string? SystemTemplate, string UserTemplate)
{
    /// <summary>The persona prompt: the model is the real user described by the profile.</summary>
    public static SimulatorPrompt Persona() =>
        new("persona", PromptText.Resource("simulation/persona.system.txt"), PromptText.Resource("simulation/history.user.txt"));

    /// <summary>The license to be unwilling that turns the persona prompt into the instructed one.</summary>
    public static string License() => PromptText.Resource("simulation/instructed.license.txt");

    /// <summary>The instructed prompt: the persona prompt plus the license, and nothing else.</summary>
    public static SimulatorPrompt Instructed()
    {
        var persona = Persona();
        return persona with { Name = "instructed", SystemTemplate = persona.SystemTemplate + "\n\n" + License() };
    }

    /// <summary>
    /// The exit rule added when the exit channel is offered: it documents the one exit form, a reply of only
    /// <c>[LEAVE]</c> (appended to the system message; a template without one gets it where it writes <c>{exit}</c>, else at
    /// the end of its message).
    /// </summary>
    public static string ExitRule() => PromptText.Resource("simulation/exit.rule.txt");

    /// <summary>A user's own template from a file: the whole file is the user message (no system message).</summary>
    public static SimulatorPrompt FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new("prompt-file:" + Path.GetFileName(path), null, File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    /// <summary>All template text, for the manifest and its hash.</summary>
    public string FullText => (SystemTemplate is null ? "" : "[system]\n" + SystemTemplate + "\n") + "[user]\n" + UserTemplate;
}
