using BayesianRouter.Cli;

return await BayesRouterCli.RunAsync(args);
