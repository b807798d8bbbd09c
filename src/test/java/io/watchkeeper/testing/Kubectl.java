package io.watchkeeper.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.watchkeeper.demo.ControlPlane;

/** The real kubectl against the test control plane, as cluster admin. */
public final class Kubectl {

    private static Path kubeconfig;

    private Kubectl() {
    }

    public static String run(String... args) {
        return run(false, args);
    }

    /** {@code kubectl auth can-i <args>}: whether the answer is yes (it exits 1 for no). */
    public static boolean canI(String... args) {
        List<String> all = new ArrayList<>(List.of("auth", "can-i"));
        all.addAll(List.of(args));
        return run(true, all.toArray(String[]::new)).strip().equals("yes");
    }

    private static String run(boolean exitOneIsAnAnswer, String... args) {
        try {
            synchronized (Kubectl.class) {
                if (kubeconfig == null) {
                    kubeconfig = TestCluster.controlPlane().writeKubeconfig(ControlPlane.ADMIN, Files.createTempFile("kubectl-", ".kubeconfig"));
                }
            }
            List<String> cmd = new ArrayList<>(List.of(ControlPlane.binaries().resolve("kubectl").toString(), "--kubeconfig", kubeconfig.toString()));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
            String out = new String(p.getInputStream().readAllBytes());
            String err = new String(p.getErrorStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || (p.exitValue() != 0 && !(exitOneIsAnAnswer && p.exitValue() == 1))) {
                throw new IllegalStateException("kubectl " + String.join(" ", args) + " failed: " + err);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
