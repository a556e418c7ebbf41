using Dfid.Corpus;
using Dfid.Instrument;
using Dfid.Simulation;
using Dfid.Store;

namespace Dfid.Running;

/// <summary>Turns the simulator, instrument and labeller specs of an experiment into objects.</summary>
public interface IRunComponentFactory : IDisposable
{
    /// <summary>Builds a simulator. <paramref name="corpus"/> is the whole corpus file, <paramref name="sample"/> the run's conversations.</summary>
    IUserSimulator CreateSimulator(SimulatorSpec spec, Experiment experiment, IReadOnlyList<Conversation> corpus, IReadOnlyList<Conversation> sample);

    /// <summary>Builds an instrument.</summary>
    IInstrument CreateInstrument(InstrumentSpec spec, Experiment experiment, IReadOnlyList<Conversation> corpus);

    /// <summary>Builds the agent-action labeller.</summary>
    IAgentActionLabeller CreateActionLabeller(ActionsSpec spec, Experiment experiment, IReadOnlyList<Conversation> corpus);

    /// <summary>Describes a built component for the manifest (kind, model, options, full prompts).</summary>
    ComponentManifest Describe(string role, string name, object component);

    /// <summary>Hooks into the model layer (budget stop, cost).</summary>
    RunHooks Hooks { get; }
}
