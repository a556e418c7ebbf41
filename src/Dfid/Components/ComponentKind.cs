namespace Dfid.Components;

/// <summary>How a component kind's own option is written and checked when the experiment is read.</summary>
public enum OptionType
{
    /// <summary>An integer (at least <see cref="OptionRule.Min"/> when given).</summary>
    Integer,
    /// <summary>One of <see cref="OptionRule.Choices"/>.</summary>
    Choice,
    /// <summary>Free text.</summary>
    Text,
    /// <summary>A file that must exist; relative paths resolve against the experiment file's folder and are stored absolute.</summary>
    File,
    /// <summary>A list of files that must exist (or one file): each entry a path, or a mapping whose keys are
    /// <see cref="OptionRule.Choices"/> and whose values are paths. Stored as a JSON array of objects with absolute paths (a
    /// plain path under <c>path</c>); read with <see cref="ComponentOptions.FileList"/>.</summary>
    FileList,
}

/// <summary>One option a component kind takes, e.g. <c>context_turns</c> (an integer ≥ 1, default 2).</summary>
/// <param name="Key">The key in the experiment.</param>
/// <param name="Type">How it is written.</param>
/// <param name="Description">What it does, for error messages and docs.</param>
/// <param name="Required">Whether the kind needs it.</param>
/// <param name="Default">The value when absent (documentation only; the kind applies it).</param>
/// <param name="Min">Smallest integer, for <see cref="OptionType.Integer"/>.</param>
/// <param name="Choices">Allowed values, for <see cref="OptionType.Choice"/>.</param>
/// <param name="Hint">Added to the error for a wrong value (e.g. what to write instead).</param>
public sealed record OptionRule(string Key, OptionType Type, string Description, bool Required = false, string? Default = null,
    int? Min = null, IReadOnlyList<string>? Choices = null, string? Hint = null);

/// <summary>
/// One kind of component (a simulator, instrument, action-labeller or agent kind): its name, the options it takes, how it
/// builds from its spec and how it describes itself in the run manifest. A registry maps kind names to these.
/// </summary>
/// <typeparam name="TSpec">The spec record of the role (e.g. <see cref="SimulatorSpec"/>).</typeparam>
/// <typeparam name="TComponent">The role (e.g. a user simulator).</typeparam>
public interface IComponentKind<in TSpec, TComponent>
{
    /// <summary>The kind's name as written in <c>kind:</c>.</summary>
    string Kind { get; }

    /// <summary>Whether the kind needs a <c>model:</c> (with the model keys <c>temperature</c>, <c>top_p</c>, ...).</summary>
    bool UsesModel { get; }

    /// <summary>Whether a spec with these options must name a model (only asked when <see cref="UsesModel"/>); a kind that
    /// wraps another (<c>gated</c>) needs one only over a model-backed base.</summary>
    bool NeedsModel(IReadOnlyDictionary<string, string> options) => UsesModel;

    /// <summary>The kind's own options besides <c>kind</c> and the model keys.</summary>
    IReadOnlyList<OptionRule> Options { get; }

    /// <summary>Builds the component named by <paramref name="spec"/>.</summary>
    Task<TComponent> BuildAsync(TSpec spec, ComponentContext context, CancellationToken cancellationToken = default);

    /// <summary>Describes a built component for the manifest: kind, model, options, full prompt texts.</summary>
    ComponentDescription Describe(TSpec spec, TComponent component);
}

/// <summary>A built component as the run manifest records it (the role and name are added by the caller).</summary>
/// <param name="Kind">Kind.</param>
/// <param name="Model">Model spec, if any.</param>
/// <param name="Options">Options as text.</param>
/// <param name="Prompts">Full prompt texts by name.</param>
public sealed record ComponentDescription(string Kind, string? Model, IReadOnlyDictionary<string, string> Options, IReadOnlyDictionary<string, string> Prompts)
{
    /// <summary>A description with no options and no prompts.</summary>
    public static ComponentDescription Of(string kind, string? model = null) => new(kind, model, new Dictionary<string, string>(), new Dictionary<string, string>());
}

/// <summary>The kinds of one role by name: adding a kind is one class and one <see cref="Add"/> line.</summary>
/// <typeparam name="TSpec">The spec record of the role.</typeparam>
/// <typeparam name="TComponent">The role.</typeparam>
public sealed class ComponentRegistry<TSpec, TComponent>
{
    private readonly Dictionary<string, IComponentKind<TSpec, TComponent>> _kinds = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Creates an empty registry for the role named <paramref name="role"/> (e.g. <c>simulator</c>), used in messages.</summary>
    public ComponentRegistry(string role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        Role = role;
    }

    /// <summary>The role's name.</summary>
    public string Role { get; }

    /// <summary>The kind names in registration order.</summary>
    public IReadOnlyList<string> Kinds => _order;

    /// <summary>Registers <paramref name="kind"/> (a later registration of the same name replaces it).</summary>
    public ComponentRegistry<TSpec, TComponent> Add(IComponentKind<TSpec, TComponent> kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (!_kinds.ContainsKey(kind.Kind)) _order.Add(kind.Kind);
        _kinds[kind.Kind] = kind;
        return this;
    }

    /// <summary>The kind named <paramref name="name"/>, or null.</summary>
    public IComponentKind<TSpec, TComponent>? Find(string name) => _kinds.GetValueOrDefault(name);

    /// <summary>The kind named <paramref name="name"/>.</summary>
    /// <exception cref="DfidException">No such kind (exit code 2); the message lists the known ones.</exception>
    public IComponentKind<TSpec, TComponent> Get(string name) =>
        Find(name) ?? throw new DfidException($"unknown {Role} kind '{name}' (expected {string.Join(", ", _order)})", 2);
}
