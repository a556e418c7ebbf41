using Dfid.Agents;
using Dfid.Components;
using Dfid.Instrument;
using Dfid.Simulation;
using Dfid.Willingness;

namespace Dfid.Running;

/// <summary>The component kinds an experiment may name, one registry per role; the experiment parser, the run and the CLI's
/// instrument verbs all build through these.</summary>
/// <param name="Simulators">Simulator kinds.</param>
/// <param name="Instruments">Instrument kinds.</param>
/// <param name="Actions">Action-labeller kinds.</param>
/// <param name="Agents">Agent kinds (the other side of a rollout).</param>
public sealed record ComponentRegistries(
    ComponentRegistry<SimulatorSpec, IUserSimulator> Simulators,
    ComponentRegistry<InstrumentSpec, IInstrument> Instruments,
    ComponentRegistry<ActionsSpec, IAgentActionLabeller> Actions,
    ComponentRegistry<AgentSpec, IAgent> Agents)
{
    /// <summary>The built-in kinds (the simulators' with <c>gated</c>, which lives beside the willingness model it needs).</summary>
    public static ComponentRegistries Default { get; } =
        new(SimulatorKinds.CreateDefault().Add(new GatedSimulatorKind()), InstrumentKinds.CreateDefault(), InstrumentKinds.CreateDefaultActions(), AgentKinds.CreateDefault());
}
