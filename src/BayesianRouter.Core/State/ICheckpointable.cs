namespace BayesianRouter.State;

/// <summary>
/// A learner that saves and restores its complete state (posteriors, histories, random generator states), so that
/// a run resumed from a checkpoint behaves bit for bit like one that never stopped. Each learner writes and reads
/// its own section of a <see cref="CheckpointFile"/>.
/// </summary>
public interface ICheckpointable
{
    /// <summary>A short name of the learner's kind, stored in the file and checked on restore.</summary>
    string StateKind { get; }

    /// <summary>Version of the learner's section layout.</summary>
    int StateVersion { get; }

    /// <summary>Writes the complete state.</summary>
    void WriteState(BinaryWriter writer);

    /// <summary>
    /// Reads and validates a section written by <see cref="WriteState"/> (at <paramref name="version"/>) and returns
    /// the action that installs it. Nothing changes until that action runs, so a bad file leaves the learner as it
    /// was. Throws <see cref="InvalidDataException"/> when the section does not fit this learner.
    /// </summary>
    Action ReadState(BinaryReader reader, int version);
}
