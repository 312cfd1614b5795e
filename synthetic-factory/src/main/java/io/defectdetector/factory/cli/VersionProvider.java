package io.defectdetector.factory.cli;

import io.defectdetector.factory.SurfaceFactory;
import picocli.CommandLine.IVersionProvider;

final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String impl = FactoryCli.class.getPackage().getImplementationVersion();
        return new String[] {"synthetic-factory " + (impl == null ? "dev" : impl) + ", generator version "
                + SurfaceFactory.GENERATOR_VERSION};
    }
}
