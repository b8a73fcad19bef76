package dev.agentid.interop.console;

import dev.agentid.interop.Interop;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.Function;

/**
 * Debian's headless Chromium driven through /usr/bin/chromedriver (set explicitly, so Selenium Manager never goes to
 * the network), with a fresh profile. Close it to stop both processes.
 */
final class Browser implements AutoCloseable {

    static final String CHROMIUM = System.getProperty("console.chromium", "/usr/bin/chromium");
    static final String CHROMEDRIVER = System.getProperty("console.chromedriver", "/usr/bin/chromedriver");
    static final Duration WAIT = Duration.ofSeconds(20);

    final ChromeDriver driver;
    private final ChromeDriverService service;
    private final Path profile;

    private Browser(ChromeDriver driver, ChromeDriverService service, Path profile) {
        this.driver = driver;
        this.service = service;
        this.profile = profile;
    }

    static Browser start() {
        try {
            Path profile = Files.createTempDirectory(Files.createDirectories(Interop.targetDir().resolve("chromium")),
                    "profile-");
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort()
                    .withLogFile(Files.createTempFile(Interop.targetDir().resolve("chromium"), "chromedriver-", ".log")
                            .toFile())
                    .build();
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM);
            options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000",
                    "--user-data-dir=" + profile);
            return new Browser(new ChromeDriver(service, options), service, profile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    <T> T await(Function<org.openqa.selenium.WebDriver, T> condition) {
        return new WebDriverWait(driver, WAIT).until(condition);
    }

    WebElement visible(By by) {
        return await(ExpectedConditions.visibilityOfElementLocated(by));
    }

    WebElement clickable(By by) {
        return await(ExpectedConditions.elementToBeClickable(by));
    }

    /** The body's data attribute, or null. */
    String data(String name) {
        return (String) driver.executeScript("return document.body.dataset[arguments[0]] || null;", name);
    }

    /** The text of the first element matching {@code css}, or "" (read in the page: nothing held that may go stale). */
    String text(String css) {
        Object text = driver.executeScript("const e = document.querySelector(arguments[0]);"
                + " return e ? e.textContent : '';", css);
        return text == null ? "" : text.toString();
    }

    String status() {
        return driver.findElement(By.id("status")).getText();
    }

    /** Saves a PNG under target/screenshots/ and returns it. */
    Path screenshot(String name) {
        try {
            Path dir = Files.createDirectories(Interop.targetDir().resolve("screenshots"));
            Path file = dir.resolve(name + ".png");
            File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Files.copy(shot.toPath(), file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a leftover profile in target/ is harmless
            }
        }
    }
}
