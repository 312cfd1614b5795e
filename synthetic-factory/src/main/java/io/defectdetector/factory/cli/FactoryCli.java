package io.defectdetector.factory.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code factory}: the synthetic factory's command line. */
@Command(name = "factory", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Synthetic product images with defects: MVTec AD datasets, contact sheets, and a camera "
                + "simulator that publishes frames to Kafka.",
        subcommands = {DatasetCommand.class, ContactSheetCommand.class, SimulateCommand.class,
            BenchSimulatorCommand.class, CommandLine.HelpCommand.class})
public final class FactoryCli {
    public static void main(String[] args) {
        // A named config (not log4j2.xml) so modules that depend on this jar keep their own logging setup.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:synthetic-factory-log4j2.xml");
        }
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new FactoryCli()).setCaseInsensitiveEnumValuesAllowed(true)
                // An option value out of range (rate, size, cameras ...): one line that says what is allowed.
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    if (!(e instanceof IllegalArgumentException)) {
                        throw e;
                    }
                    cmd.getErr().println("error: " + e.getMessage());
                    return 2;
                });
    }
}
