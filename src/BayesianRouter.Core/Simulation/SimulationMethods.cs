namespace BayesianRouter.Simulation;

/// <summary>The methods of the simulation, by the names used in results and tables.</summary>
public static class SimulationMethods
{
    public static IReadOnlyList<AnnotationMethod> Create(SeedContext ctx)
    {
        var pool = ctx.Options.Pool;
        var costs = pool.Select(ctx.Options.CostOf).ToArray();
        var methods = new List<AnnotationMethod>();
        methods.Add(new OracleMethod(pool, costs));
        return methods;
    }
}
